/**
 * The cost of a schema (validation on publish) and of a filter (on receive)
 * on the core's record path, side by side: Gateway.publish and
 * Gateway.receive on the memory stores, in this process (no gRPC, so the
 * difference is not drowned in transport time). Rounds alternate the
 * variants so machine noise hits both; prints the median of each.
 *
 *   npx tsx bench/records-features.ts      # BENCH_ROUNDS=5 BENCH_RECORDS=20000
 */
import { lastOffsetOf } from '../src/contracts/index.ts';
import pino from 'pino';
import { Gateway } from '../src/gateway/index.ts';
import { firstAssignedPartition } from './lib/core.ts';
import { PublishValidator } from '../src/validation/index.ts';
import { compileRecordFilter, filterBatch } from '../src/filtering/index.ts';
import { createPositionsStore, createRecordsStore } from '../src/stores.ts';


const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 20_000);
const logger = pino({ level: 'silent' });
const raw = { MEMORY_PARTITIONS: '1' };

const validator = new PublishValidator([
  {
    topic: 'schema-*',
    eventType: undefined,
    path: '/bench/order.json',
    name: 'order.json',
    schema: {
      type: 'object',
      required: ['id', 'amount', 'currency'],
      properties: { id: { type: 'string', minLength: 1 }, amount: { type: 'number', minimum: 0 }, currency: { enum: ['EUR', 'USD'] }, note: { type: 'string' } },
    },
  },
]);
const records = await createRecordsStore('memory', raw, logger);
const positions = await createPositionsStore('memory', raw, logger);
const gateway = new Gateway(records, positions, logger, { publishCheck: (envelope, field) => validator.check(envelope, field) });
const value = new TextEncoder().encode(JSON.stringify({ id: 'order-1', amount: 12.5, currency: 'EUR', note: 'x'.repeat(40) }));
const key = new TextEncoder().encode('one');

async function rate(count: number, run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function publishAll(topic: string, event: (i: number) => string | null) {
  for (let i = 0; i < RECORDS; i++) {
    const type = event(i);
    await gateway.publish({
      topic,
      key,
      value: type === null ? value : null,
      event: type === null ? null : { id: `e${i}`, type, source: '/bench', time: '', dataContentType: 'application/json', data: value, extensions: {} },
      headers: new Map(),
    });
  }
}

/** Reads the whole partition through Gateway.receive with `filter`. */
async function receiveAll(topic: string, filter: { eventType?: string; eventTypePrefix?: string } | undefined): Promise<number> {
  const handle = await gateway.subscribe({
    topic,
    group: `bench-${Math.random().toString(36).slice(2)}`,
    groupVersion: 0,
    autoOffsetReset: 'earliest',
    filter: filter && { eventType: filter.eventType, eventTypePrefix: filter.eventTypePrefix, headers: new Map(), keyPrefix: undefined },
  });
  const assigned = await firstAssignedPartition(handle);
  const stop = new AbortController();
  const last = BigInt(RECORDS - 1);
  const result = await rate(RECORDS, async () => {
    for await (const batch of gateway.receive({ sessionId: handle.sessionId, partition: assigned, lastKnownOffset: 0n }, stop.signal)) {
      const offset = batch.skippedThrough ?? lastOffsetOf(batch.records) ?? -1n;
      if (offset >= last) break;
    }
  });
  stop.abort();
  await handle.close();
  return result;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rates: Record<string, number[]> = {};
const add = (label: string, value: number) => (rates[label] ??= []).push(value);

const receiveTopic = 'plain-receive';
await publishAll(receiveTopic, (i) => (i % 10 === 0 ? 'order.paid' : 'order.created'));

for (let round = 0; round < ROUNDS; round++) {
  add('Publish, topic without a schema', await rate(RECORDS, () => publishAll(`plain-${round}`, () => null)));
  add('Publish, topic with a schema (valid records)', await rate(RECORDS, () => publishAll(`schema-${round}`, () => null)));
  add('Receive, no filter', await receiveAll(receiveTopic, undefined));
  add('Receive, filter matching every record (event_type_prefix)', await receiveAll(receiveTopic, { eventTypePrefix: 'order.' }));
  add('Receive, filter matching 1 in 10 (event_type)', await receiveAll(receiveTopic, { eventType: 'order.paid' }));
}

// The features alone, per record, without the store or the async iteration around them.
const sample = { topic: 'schema-x', key, value, event: null, headers: new Map<string, Uint8Array>() };
const free = { ...sample, topic: 'plain-x' };
const stored = Array.from({ length: 1000 }, (_, i) => ({ ...sample, partition: 0, offset: BigInt(i), timestamp: new Date(0), event: { id: 'e', type: i % 10 === 0 ? 'order.paid' : 'order.created', source: '/b', time: '', dataContentType: '', data: value, extensions: {} } }));
const matches = compileRecordFilter({ eventType: undefined, eventTypePrefix: 'order.', headers: new Map([['region', new Uint8Array([1])]]), keyPrefix: key })!;
function nsPerCall(calls: number, run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / calls;
}
const micro: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  (micro['schema check, topic without a schema (map lookup)'] ??= []).push(nsPerCall(1_000_000, () => { for (let i = 0; i < 1_000_000; i++) validator.check(free); }));
  (micro['schema check, valid record (JSON.parse + compiled schema)'] ??= []).push(nsPerCall(200_000, () => { for (let i = 0; i < 200_000; i++) validator.check(sample); }));
  (micro['filter, 3 conditions (prefix, header, key), per record'] ??= []).push(nsPerCall(1_000_000, () => { for (let i = 0; i < 1000; i++) filterBatch(stored, matches); }));
}

console.log(`core (Gateway) on the memory stores, in process; ${RECORDS} records of ${value.length} B JSON per run, ${ROUNDS} rounds alternating, median`);
console.log('| path | records/s (median) | all rounds |');
console.log('|---|---:|---|');
for (const [label, values] of Object.entries(rates)) console.log(`| ${label} | ${Math.round(median(values))} | ${values.map((v) => Math.round(v)).join(', ')} |`);
console.log('\n| feature alone | ns per record (median) |');
console.log('|---|---:|');
for (const [label, values] of Object.entries(micro)) console.log(`| ${label} | ${median(values).toFixed(0)} |`);
await gateway.close();
