import type { Delivery } from './consumer.ts';
import type { PositionMove } from './positions.ts';
import type { Published } from './producer.ts';

export interface ScenarioResult {
  scenario: string;
  /** Records whose Publish returned OK. */
  published: number;
  /** Of those, how many reached a consumer of the group at least once. */
  delivered: number;
  /** Deliveries beyond the first of a record (at-least-once redelivery). */
  duplicated: number;
  /** Published, retained, never delivered. */
  lost: number;
  /** Published records deleted by retention before they were read (only where a scenario deletes records). */
  deleted: number;
  /** Times an acked position was seen lower than before. */
  positionsMovedBack: number;
  /** A stream whose offsets did not increase, or a key whose records were stored out of order. */
  orderViolations: number;
  /** Offsets jumped over inside one Receive stream (records that exist but were not sent). */
  skippedInStream: number;
  /** From the fault's end until every partition delivered a record published after it; null when not measured. */
  recoveryMs: number | null;
  lostSample: string[];
  /** Evidence the fault bit: Publish attempts that failed and were retried, acks that failed. */
  publishRetries: number;
  acksFailed: number;
}

export interface CheckInput {
  scenario: string;
  published: readonly Published[];
  deliveries: readonly Delivery[];
  movedBack: readonly PositionMove[];
  /** Partition → first retained offset, for scenarios that delete records. */
  logStart?: ReadonlyMap<number, bigint>;
  /** performance.now() at the fault's end (restart done, link restored). */
  restoredAt?: number;
  publishRetries?: number;
  acksFailed?: number;
}

const at = (partition: number, offset: bigint) => `${partition}:${offset}`;

/** Proves the delivery guarantees over what was published and what the group received. */
export function check(input: CheckInput): ScenarioResult {
  const deliveredAt = new Map<string, number>();
  let duplicated = 0;
  for (const d of input.deliveries) {
    const where = at(d.partition, d.offset);
    if (deliveredAt.has(where)) duplicated++;
    else deliveredAt.set(where, d.at);
  }

  let delivered = 0;
  let deleted = 0;
  const lost: string[] = [];
  for (const p of input.published) {
    const where = at(p.partition, p.offset);
    if (deliveredAt.has(where)) delivered++;
    else if (p.offset < (input.logStart?.get(p.partition) ?? 0n)) deleted++;
    else lost.push(`${where} (${p.key}#${p.seq})`);
  }

  let orderViolations = 0;
  let skippedInStream = 0;
  const lastInStream = new Map<number, bigint>();
  for (const d of input.deliveries) {
    const last = lastInStream.get(d.stream);
    if (last !== undefined) {
      if (d.offset <= last) orderViolations++;
      else if (d.offset > last + 1n && !deletedBetween(input.logStart, d.partition, last, d.offset)) skippedInStream += Number(d.offset - last - 1n);
    }
    lastInStream.set(d.stream, d.offset);
  }
  const lastOfKey = new Map<string, Published>();
  for (const p of [...input.published].sort((a, b) => a.seq - b.seq)) {
    if (p.key === '') continue;
    const before = lastOfKey.get(p.key);
    if (before && (before.partition !== p.partition || before.offset >= p.offset)) orderViolations++;
    lastOfKey.set(p.key, p);
  }

  return {
    scenario: input.scenario,
    published: input.published.length,
    delivered,
    duplicated,
    lost: lost.length,
    deleted,
    positionsMovedBack: input.movedBack.length,
    orderViolations,
    skippedInStream,
    recoveryMs: input.restoredAt === undefined ? null : recovery(input.published, deliveredAt, input.restoredAt),
    lostSample: lost.slice(0, 10),
    publishRetries: input.publishRetries ?? 0,
    acksFailed: input.acksFailed ?? 0,
  };
}

function deletedBetween(logStart: ReadonlyMap<number, bigint> | undefined, partition: number, from: bigint, to: bigint): boolean {
  const start = logStart?.get(partition);
  return start !== undefined && from < start && to >= start;
}

function recovery(published: readonly Published[], deliveredAt: ReadonlyMap<string, number>, restoredAt: number): number | null {
  const firstAfter = new Map<number, number>();
  for (const p of published) {
    if (p.at < restoredAt) continue;
    const when = deliveredAt.get(at(p.partition, p.offset));
    if (when === undefined) continue;
    firstAfter.set(p.partition, Math.min(firstAfter.get(p.partition) ?? Infinity, when));
  }
  if (firstAfter.size === 0) return null;
  return Math.max(0, Math.round(Math.max(...firstAfter.values()) - restoredAt));
}

export function formatRow(r: ScenarioResult): string {
  const recovery = r.recoveryMs === null ? '–' : `${(r.recoveryMs / 1000).toFixed(1)} s`;
  return `| ${r.scenario} | ${r.published} | ${r.delivered} | ${r.duplicated} | ${r.lost} | ${r.positionsMovedBack} | ${recovery} |`;
}
