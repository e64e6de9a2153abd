/**
 * The cost of a schema (validation on publish) and of a filter (on receive)
 * on the record path: the same work with and without, side by side, over real
 * gRPC to a gateway process on the memory stores. Rounds alternate the
 * variants so machine noise hits both; prints the median of each.
 *
 *   npx tsx bench/records-features.ts      # BENCH_ROUNDS=5 BENCH_PUBLISH=5000 BENCH_RECEIVE=20000
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { TestClient } from '../test/support/client.ts';
import { spawnGateway } from '../test/support/process.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PUBLISH = Number(process.env.BENCH_PUBLISH ?? 5_000);
const RECEIVE = Number(process.env.BENCH_RECEIVE ?? 20_000);
const CONCURRENCY = 64;

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-schemas-'));
writeFileSync(
  join(dir, 'order.json'),
  JSON.stringify({
    type: 'object',
    required: ['id', 'amount', 'currency'],
    properties: { id: { type: 'string', minLength: 1 }, amount: { type: 'number', minimum: 0 }, currency: { enum: ['EUR', 'USD'] }, note: { type: 'string' } },
  }),
);
writeFileSync(join(dir, 'schemas.json'), JSON.stringify({ schemas: [{ topic: 'schema-*', schema: 'order.json' }] }));

const gateway = await spawnGateway({ LOG_LEVEL: 'warn', MEMORY_PARTITIONS: '4', VALIDATION_SCHEMAS_FILE: join(dir, 'schemas.json') });
const client = new TestClient(gateway.address);
const value = Buffer.from(JSON.stringify({ id: 'order-1', amount: 12.5, currency: 'EUR', note: 'x'.repeat(40) }));

async function pool(total: number, call: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) await call(next++);
  }));
}

async function rate(count: number, run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Opens a Receive on the partition holding key 'one' and reads until the reply at `last` arrives. */
async function receiveThrough(topic: string, filter: object | undefined, last: bigint, partition: number): Promise<number> {
  const group = `bench-${Math.random().toString(36).slice(2)}`;
  const subscription = client.subscribe({ topic, group, ...(filter ? { filter } : {}) });
  const assignments = await subscription.until((a) => a.length === 4, 60_000);
  const assignment = assignments.find((a) => a.partition === partition)!;
  const result = await rate(RECEIVE, () => new Promise<void>((resolve, reject) => {
    const call = (client.raw.Receive as unknown as (r: object) => ClientReadableStream<{ record?: { offset: string }; skipped?: { offset: string } }>).call(client.raw, { assignment });
    call.on('data', (reply) => {
      if (BigInt((reply.record ?? reply.skipped)!.offset) >= last) {
        call.cancel();
        resolve();
      }
    });
    call.on('error', (err: { code?: number }) => (err.code === 1 ? undefined : reject(err)));
  }));
  subscription.cancel();
  return result;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rates: Record<string, number[]> = {};
const add = (label: string, value: number) => (rates[label] ??= []).push(value);

// Receive fixture: RECEIVE events on one partition, one in ten of type order.paid.
const receiveTopic = `plain-receive-${Date.now()}`;
await pool(RECEIVE, (i) =>
  client.publish({ topic: receiveTopic, key: Buffer.from('one'), liiklusEvent: { id: `e${i}`, type: i % 10 === 0 ? 'order.paid' : 'order.created', source: '/bench', data: value } }),
);
const tail = await client.publish({ topic: receiveTopic, key: Buffer.from('one'), liiklusEvent: { id: 'last', type: 'order.paid', source: '/bench', data: value } });
const last = BigInt(tail.offset);

for (let round = 0; round < ROUNDS; round++) {
  add('Publish, no schema', await rate(PUBLISH, () => pool(PUBLISH, (i) => client.publish({ topic: `plain-${round}`, key: Buffer.from(`k${i % 100}`), value }))));
  add('Publish, schema (valid records)', await rate(PUBLISH, () => pool(PUBLISH, (i) => client.publish({ topic: `schema-${round}`, key: Buffer.from(`k${i % 100}`), value }))));
  add('Receive, no filter', await receiveThrough(receiveTopic, undefined, last, tail.partition));
  add('Receive, filter matching every record (event_type_prefix "order.")', await receiveThrough(receiveTopic, { eventTypePrefix: 'order.' }, last, tail.partition));
  add('Receive, filter matching 1 in 10 (event_type "order.paid")', await receiveThrough(receiveTopic, { eventType: 'order.paid' }, last, tail.partition));
}

console.log(`memory stores, ${ROUNDS} rounds (alternating), median; publish ${PUBLISH} records (${value.length} B JSON, ${CONCURRENCY} in flight); receive ${RECEIVE} records of one partition (rate counts records read by the gateway)`);
console.log('| path | records/s (median) | all rounds |');
console.log('|---|---:|---|');
for (const [label, values] of Object.entries(rates)) console.log(`| ${label} | ${Math.round(median(values))} | ${values.map((v) => Math.round(v)).join(', ')} |`);
client.close();
gateway.child.kill('SIGTERM');
await gateway.exited;
