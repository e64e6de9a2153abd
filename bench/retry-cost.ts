/**
 * The cost of retry and dead-letter (issue 12) on the core's record path:
 * Gateway.receive on the memory stores, in this process (no gRPC), of a plain
 * topic (the normal path: one test of the topic name per Receive, nothing per
 * record) and of a retry topic whose records are all due (one header lookup
 * and one date parse per record); and a Nack (one publish of the copy).
 * Rounds alternate the variants; prints the median of each.
 *
 *   npx tsx bench/retry-cost.ts      # BENCH_ROUNDS=5 BENCH_RECORDS=20000
 */
import { lastOffsetOf } from '../src/contracts/index.ts';
import pino from 'pino';
import { Gateway } from '../src/gateway/index.ts';
import { firstAssignedPartition } from './lib/core.ts';
import { createPositionsStore, createRecordsStore } from '../src/stores.ts';
import { DEFAULT_RETRY_POLICY, isRetryTopic } from '../src/retry/index.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 20_000);
const logger = pino({ level: 'silent' });
const raw = { MEMORY_PARTITIONS: '1' };
const records = await createRecordsStore('memory', raw, logger);
const positions = await createPositionsStore('memory', raw, logger);
const gateway = new Gateway(records, positions, logger);
const value = new TextEncoder().encode(JSON.stringify({ id: 'order-1', amount: 12.5, currency: 'EUR', note: 'x'.repeat(40) }));
const key = new TextEncoder().encode('one');
const GROUP = 'bench';

async function rate(count: number, run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function receiveAll(topic: string): Promise<number> {
  const handle = await gateway.subscribe({ topic, group: GROUP, groupVersion: 0, autoOffsetReset: 'earliest' });
  const assigned = await firstAssignedPartition(handle);
  const stop = new AbortController();
  const last = BigInt(RECORDS - 1);
  const result = await rate(RECORDS, async () => {
    for await (const batch of gateway.receive({ sessionId: handle.sessionId, partition: assigned, lastKnownOffset: 0n }, stop.signal)) {
      if ((lastOffsetOf(batch.records) ?? -1n) >= last) break;
    }
  });
  stop.abort();
  await handle.close();
  return result;
}

const plain = 'orders';
const retry = `orders.${GROUP}.retry`;
for (let i = 0; i < RECORDS; i++) await gateway.publish({ topic: plain, key, value, event: null, headers: new Map() });
// What a Nack writes: the record plus seven sluice-* headers, due in the past.
const due = new Date(Date.now() - 1000).toISOString();
const headers = (i: number) =>
  new Map(
    Object.entries({
      'sluice-origin-topic': plain,
      'sluice-origin-partition': '0',
      'sluice-origin-offset': String(i),
      'sluice-group': GROUP,
      'sluice-attempt': '2',
      'sluice-reason': 'payment service timed out',
      'sluice-retry-at': due,
    }).map(([k, v]) => [k, new TextEncoder().encode(v)]),
  );
for (let i = 0; i < RECORDS; i++) await gateway.publish({ topic: retry, key, value, event: null, headers: headers(i) });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rates: Record<string, number[]> = {};
const add = (label: string, v: number) => (rates[label] ??= []).push(v);
const nackCommand = (i: number) => ({
  topic: plain, group: GROUP, groupVersion: 0, partition: 0, offset: BigInt(i), key, value, event: null, headers: new Map<string, Uint8Array>(),
  reason: 'payment service timed out', deadLetter: false, delayMs: 0, maxAttempts: 0,
});
for (let round = 0; round < ROUNDS; round++) {
  add('Receive, plain topic (the normal path)', await receiveAll(plain));
  add('Receive, retry topic, every record due', await receiveAll(retry));
  add('Nack (retry copy written to the memory store)', await rate(RECORDS / 4, async () => {
    for (let i = 0; i < RECORDS / 4; i++) await gateway.nack(nackCommand(i));
  }));
}
const perReceive: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++) isRetryTopic(DEFAULT_RETRY_POLICY.retryTopic, plain, GROUP);
  perReceive.push(Number(process.hrtime.bigint() - started) / 100_000);
}

console.log(`core (Gateway) on the memory stores, in process; ${RECORDS} records of ${value.length} B per run, ${ROUNDS} rounds alternating, median`);
console.log('| path | records/s (median) | all rounds |');
console.log('|---|---:|---|');
for (const [label, values] of Object.entries(rates)) console.log(`| ${label} | ${Math.round(median(values))} | ${values.map((v) => Math.round(v)).join(', ')} |`);
console.log(`\nretry-topic test of a Receive (once per Receive call, not per record): ${median(perReceive).toFixed(0)} ns`);
await gateway.close();
