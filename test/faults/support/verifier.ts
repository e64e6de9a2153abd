import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../../support/process.ts';
import { check, formatRow, type ScenarioResult } from './checker.ts';
import { Member, type Delivery } from './consumer.ts';
import { PositionWatch } from './positions.ts';
import { Producer, type ProducerOptions } from './producer.ts';
import { sleep } from './rpc.ts';

/** Short form (npm test) or long form (npm run verify, FAULTS_LONG=1). */
export const LONG = process.env.FAULTS_LONG === '1';

export interface Scale {
  keys: number;
  perKey: number;
  intervalMs: number;
  rounds: number;
}

/** A few hundred records over a few seconds in the short form; many more, for longer, in the long form. */
export const SCALE: Scale = LONG ? { keys: 8, perKey: 500, intervalMs: 10, rounds: 3 } : { keys: 6, perKey: 50, intervalMs: 40, rounds: 1 };

export interface FaultContext {
  members: readonly Member[];
  producer: Producer;
  deliveries: readonly Delivery[];
}

export interface VerifyPlan {
  scenario: string;
  topic: string;
  group: string;
  /** Gateways the producer, the watch and each member use (member i prefers addresses[i % n]). */
  addresses: string[];
  members?: number;
  /** Gateways member `id` uses, when not the rotation of `addresses` (e.g. one member behind a fault proxy). */
  memberAddresses?(id: number): string[];
  ackEvery?: number;
  autoOffsetReset?: 'EARLIEST' | 'LATEST';
  producer?: Partial<Omit<ProducerOptions, 'addresses' | 'topic'>>;
  /** Published records before the fault starts (default a third of them). */
  faultAfter?: number;
  /** Injects the fault and undoes it; resolves with performance.now() at the fault's end (for the recovery time). */
  fault(context: FaultContext): Promise<number>;
  /** Partition → first retained offset, read after the run, for scenarios that delete records. */
  logStart?(): Promise<Map<number, bigint>>;
  /** How long to wait for the group to catch up after the producer ends. */
  settleMs?: number;
}

/**
 * Runs producers and a consumer group through a fault and proves the
 * delivery guarantees: every published record delivered at least once, in
 * order per partition, no acked position moved back. Returns the result row
 * (also appended to .cache/faults/results.jsonl, printed as a table row).
 */
export async function verify(plan: VerifyPlan): Promise<ScenarioResult> {
  const began = performance.now();
  const progress = (step: string) => {
    if (process.env.FAULTS_DEBUG) console.log(`[${plan.scenario}] ${((performance.now() - began) / 1000).toFixed(1)} s: ${step} (published ${producer.published.length}, delivered ${deliveries.length})`);
  };
  const deliveries: Delivery[] = [];
  const memberCount = plan.members ?? 2;
  const rotate = (i: number) => [...plan.addresses.slice(i % plan.addresses.length), ...plan.addresses.slice(0, i % plan.addresses.length)];
  const members = Array.from(
    { length: memberCount },
    (_, id) =>
      new Member({
        id,
        addresses: plan.memberAddresses?.(id) ?? rotate(id),
        topic: plan.topic,
        group: plan.group,
        autoOffsetReset: plan.autoOffsetReset,
        ackEvery: plan.ackEvery ?? 10,
        onDelivery: (d) => deliveries.push(d),
      }),
  );
  const watch = new PositionWatch(plan.addresses, plan.topic, plan.group);
  const producer = new Producer({ addresses: plan.addresses, topic: plan.topic, keys: SCALE.keys, perKey: SCALE.perKey, intervalMs: SCALE.intervalMs, ...plan.producer });
  const total = (plan.producer?.keys ?? SCALE.keys) * (plan.producer?.perKey ?? SCALE.perKey);
  let restoredAt: number | undefined;
  try {
    members.forEach((m) => m.start());
    watch.start();
    // Records published after the fault's end too, however long it lasted: recovery is measured on them.
    let afterFault = Infinity;
    producer.mayEnd = () => producer.published.length >= afterFault;
    const producing = producer.run();
    await until(() => producer.published.length >= (plan.faultAfter ?? Math.floor(total / 3)), 60_000, 'records published before the fault');
    progress('fault');
    restoredAt = await plan.fault({ members, producer, deliveries });
    afterFault = producer.published.length + Math.floor(total / 3);
    progress('fault over');
    await producing;
    progress('producer done');
    const published = new Set(producer.published.map((p) => `${p.partition}:${p.offset}`));
    const logStart = plan.logStart ? await plan.logStart() : undefined;
    const retained = () => [...published].filter((key) => {
      const [partition, offset] = key.split(':');
      return BigInt(offset!) >= (logStart?.get(Number(partition)) ?? 0n);
    });
    const wanted = retained();
    const seen = () => new Set(deliveries.map((d) => `${d.partition}:${d.offset}`));
    await until(() => {
      const s = seen();
      return wanted.every((k) => s.has(k));
    }, plan.settleMs ?? 60_000, 'every published record delivered').catch(() => undefined);
    progress('settled');
    // A last round of acks and position polls after the group caught up.
    await sleep(500);
    const result = check({ scenario: plan.scenario, published: producer.published, deliveries, movedBack: watch.movedBack, logStart, restoredAt,
      publishRetries: producer.failedAttempts,
      acksFailed: members.reduce((sum, m) => sum + m.acksFailed, 0),
    });
    report(result);
    return result;
  } finally {
    producer.stop();
    await Promise.all(members.map((m) => m.stop()));
    await watch.stop();
    producer.close();
  }
}

export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(50);
  }
}

const RESULTS = process.env.FAULTS_RESULTS ?? join(ROOT, '.cache', 'faults', 'results.jsonl');

function report(result: ScenarioResult): void {
  mkdirSync(dirname(RESULTS), { recursive: true });
  appendFileSync(RESULTS, JSON.stringify({ ...result, long: LONG, when: new Date().toISOString() }) + '\n');
  console.log(`${formatRow(result)}  order violations ${result.orderViolations}, publish retries ${result.publishRetries}, acks failed ${result.acksFailed}, skipped in stream ${result.skippedInStream}, deleted ${result.deleted}${result.lost ? `, lost e.g. ${result.lostSample.join(', ')}` : ''}`);
}
