/**
 * The gateway's receive path per record, stage by stage, in one process:
 * decoding a 4 MiB fetch (record-batches.ts), kafkajs's Batch over it, the
 * partition source's offer (mapping, slab copy), and ReceiveBatch encoding.
 * Medians of 10 rounds after 5 warm-up rounds, ns per record.
 *
 *   npx tsx bench/receive-pipeline.ts            (100 B values)
 *   BENCH_SIZE=1024 npx tsx bench/receive-pipeline.ts
 */
import { createRequire } from 'node:module';
import type { StoredRecord } from '../src/contracts/index.ts';
import { decodeKafkajsMessages } from '../plugins/kafka-records/drivers/kafkajs/record-batches.ts';
import type { FetchedBatch } from '../plugins/kafka-records/driver.ts';
import { KafkaPartitionSource } from '../plugins/kafka-records/partition-source.ts';
import { MeasuredReplies } from '../src/grpc/encoding.ts';
import { toContentFormat } from '../src/grpc/mappers.ts';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => object;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number): unknown };
const Batch = require('kafkajs/src/consumer/batch') as new (topic: string, fetchedOffset: string, data: object) => FetchedBatch;

const SIZE = Number(process.env.BENCH_SIZE ?? 100);
const RECORDS = 37_000;
const perBatch = Math.max(1, Math.floor(16_384 / (SIZE + 20)));
const batches: Buffer[] = [];
let offset = 0;
while (offset < RECORDS) {
  const records = Array.from({ length: perBatch }, (_, i) => Record({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.alloc(SIZE, 'x'), headers: {} }));
  batches.push((await RecordBatch({ firstOffset: Long.fromValue(offset), firstTimestamp: Date.now(), maxTimestamp: Date.now(), lastOffsetDelta: perBatch - 1, records })).buffer);
  offset += perBatch;
}
const messageSet = Buffer.concat(batches);
const framed = Buffer.alloc(4 + messageSet.length);
framed.writeInt32BE(messageSet.length, 0);
messageSet.copy(framed, 4);

const control = { pause() {}, fetchFrom() {}, startOffset: async () => 0n };
const format = toContentFormat('BINARY', false);
const times: Record<'decode' | 'batch' | 'offer' | 'encode', number[]> = { decode: [], batch: [], offer: [], encode: [] };
const now = () => process.hrtime.bigint();
for (let round = 0; round < 15; round++) {
  const t0 = now();
  const messages = await decodeKafkajsMessages(new Decoder(framed) as never);
  const t1 = now();
  const batch = new Batch('t', '0', { partition: 0, highWatermark: String(offset), abortedTransactions: [], messages });
  const t2 = now();
  const source = new KafkaPartitionSource(0, 't', control, { records: 1e9, bytes: 1e12, maxBytes: 1e12, coverMs: 100, releaseMs: 1e9 });
  const abort = new AbortController();
  const pending = source.batches(abort.signal)[Symbol.asyncIterator]().next();
  await new Promise((resolve) => setImmediate(resolve));
  const t3 = now();
  source.offer(batch, () => undefined);
  const t4 = now();
  const records = (await pending).value as readonly StoredRecord[];
  const t5 = now();
  const replies = new MeasuredReplies(format);
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    bytes += replies.add(records[i]!, false);
    if (bytes > 1 << 20) {
      replies.encodeBatch(from, i + 1);
      from = i + 1;
      bytes = 0;
    }
  }
  replies.encodeBatch(from, records.length);
  const t6 = now();
  abort.abort();
  if (round < 5) continue;
  const per = (a: bigint, b: bigint) => Number(b - a) / messages.length;
  times.decode.push(per(t0, t1));
  times.batch.push(per(t1, t2));
  times.offer.push(per(t3, t4));
  times.encode.push(per(t5, t6));
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!.toFixed(0);
console.log(`${SIZE} B values, ns per record: decode ${median(times.decode)}, kafkajs Batch ${median(times.batch)}, offer ${median(times.offer)}, encode ${median(times.encode)}`);
