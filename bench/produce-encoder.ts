/**
 * kafkajs's produce request encoder against the gateway's
 * (plugins/kafka-records/drivers/kafkajs/produce-request.ts), on the request a
 * PublishBatch of 500 records makes: 4 partitions of 125 records, keys k0..k999,
 * values of 100 B, no headers, idempotent. Alternating rounds in one process;
 * median ns per record of `request.encode()`, and of the encode plus kafkajs's
 * framing of it (protocol/request.js, which copies the body twice), and the
 * CRC-32C's share.
 *
 *   npx tsx bench/produce-encoder.ts
 */
import { createRequire } from 'node:module';
import { crc32c } from '../plugins/kafka-records/drivers/kafkajs/crc32c.ts';
import type { ProduceRequestArgs } from '../plugins/kafka-records/drivers/kafkajs/produce-encoder.ts';
import { produceRequest } from '../plugins/kafka-records/drivers/kafkajs/produce-request.ts';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
type Factory = (args: ProduceRequestArgs) => { apiKey: number; apiVersion: number; encode(): Promise<Encoded> };
const kafkajsProduceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as Factory;
const frame = require('kafkajs/src/protocol/request.js') as (options: { correlationId: number; clientId: string; request: object }) => Promise<Encoded>;

const PARTITIONS = 4;
const PER_PARTITION = 125;
const RECORDS = PARTITIONS * PER_PARTITION;
const REQUESTS_PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

const value = Buffer.alloc(100, 'x');
let sequence = 0;
function args(round: number): ProduceRequestArgs {
  return {
    acks: -1,
    timeout: 30_000,
    transactionalId: undefined,
    producerId: '4021',
    producerEpoch: 0,
    compression: 0,
    topicData: [
      {
        topic: 'bench-produce-encoder',
        partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({
          partition,
          firstSequence: sequence++ * PER_PARTITION,
          messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition, key: Buffer.from(`k${(round * RECORDS + partition * PER_PARTITION + i) % 1000}`), value, headers: {} })),
        })),
      },
    ],
  };
}

const requests = Array.from({ length: 16 }, (_, i) => args(i));
const encoders: [string, Factory][] = [
  ['kafkajs', kafkajsProduceRequest],
  ['sluice', produceRequest as unknown as Factory],
];

// Same bytes (one clock for both).
const realNow = Date.now;
Date.now = () => 1_700_000_000_000;
const [a, b] = await Promise.all(encoders.map(async ([, f]) => (await f(requests[0]!).encode()).buffer));
Date.now = realNow;
if (!a!.equals(b!)) throw new Error('the encoders disagree');
const batchBytes = (a!.length - 8 - 2 - 21 - 4 - PARTITIONS * 8) / PARTITIONS;

async function time(fn: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS_PER_ROUND; i++) await fn(i);
  return Number(process.hrtime.bigint() - started) / (REQUESTS_PER_ROUND * RECORDS);
}

const samples: Record<string, number[]> = {};
const add = (name: string, ns: number) => (samples[name] ??= []).push(ns);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, factory] of encoders) {
    add(`${name} encode`, await time((i) => factory(requests[i & 15]!).encode()));
    add(`${name} encode + framing`, await time((i) => frame({ correlationId: i, clientId: 'sluice', request: factory(requests[i & 15]!) })));
  }
  let sink = 0;
  add('crc32c of the batches (sluice)', await time(async () => {
    for (let p = 0; p < PARTITIONS; p++) sink ^= crc32c(a!, 0, batchBytes);
  }));
  if (sink === 0.5) console.log(sink);
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[values.length >> 1]!;
console.log(`${ROUNDS} rounds of ${REQUESTS_PER_ROUND} requests of ${PARTITIONS} x ${PER_PARTITION} records (request ${a!.length} B); median ns per record:`);
for (const [name, values] of Object.entries(samples)) console.log(`  ${name.padEnd(34)} ${median(values).toFixed(0).padStart(6)}   (rounds: ${values.map((v) => v.toFixed(0)).join(' ')})`);
const ratio = (what: string) => (median(samples[`kafkajs ${what}`]!) / median(samples[`sluice ${what}`]!)).toFixed(1);
console.log(`kafkajs / sluice: encode ${ratio('encode')}x, encode + framing ${ratio('encode + framing')}x`);
