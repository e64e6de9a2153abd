/**
 * The gateway's own CPU per record on the receive path, without a broker or
 * a network: kafkajs-shaped messages go through KafkaPartitionSource.offer
 * (mapping, slab copy, buffer), are pulled as batches and encoded as
 * ReceiveBatchReply messages of 1,000 (MeasuredReplies). What it leaves out
 * (kafkajs's decoding, grpc-js, HTTP/2) is the same for every change to the
 * code it covers, so its figure moves only with that code: the quick loop
 * for optimising the record path (the side-by-side bench gives the ratios).
 *
 *   npx tsx bench/record-path.ts [records=200000] [valueBytes=100]
 */
import type { Batch, KafkaMessage } from 'kafkajs';
import { KafkaPartitionSource } from '../plugins/kafka-records/partition-source.ts';
import { MeasuredReplies } from '../src/grpc/encoding.ts';

const COUNT = Number(process.argv[2] ?? 200_000);
const VALUE_BYTES = Number(process.argv[3] ?? 100);
const PER_FETCH = Math.max(1, Math.floor((1024 * 1024) / (VALUE_BYTES + 70)));
const ROUNDS = 7;

/** Messages as kafkajs decodes them from one fetch: views into one response buffer, offsets and timestamps as strings. */
function fetchedBatch(first: number, count: number): Batch {
  const response = Buffer.alloc(count * (VALUE_BYTES + 8), 'x');
  const messages: KafkaMessage[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * (VALUE_BYTES + 8);
    messages.push({
      magicByte: 2,
      attributes: 0,
      timestamp: String(1_795_000_000_000 + first + i),
      offset: String(first + i),
      key: response.subarray(at, at + 8),
      value: response.subarray(at + 8, at + 8 + VALUE_BYTES),
      headers: {},
      isControlRecord: false,
      batchContext: {} as never,
    } as KafkaMessage);
  }
  return { messages, lastOffset: () => String(first + count - 1) } as unknown as Batch;
}

async function round(): Promise<{ offerNs: number; encodeNs: number }> {
  const batches: Batch[] = [];
  for (let at = 0; at < COUNT; at += PER_FETCH) batches.push(fetchedBatch(at, Math.min(PER_FETCH, COUNT - at)));
  let fetching = false;
  const source = new KafkaPartitionSource(
    0,
    'bench',
    { pause: () => (fetching = false), fetchFrom: () => (fetching = true), startOffset: async () => 0n },
    { records: 1_000_000, bytes: 1024 * 1024 * 1024, maxBytes: 1024 * 1024 * 1024, coverMs: 100, releaseMs: 60_000 },
  );
  const abort = new AbortController();
  const iterator = source.batches(abort.signal)[Symbol.asyncIterator]();
  const firstPull = iterator.next();
  await new Promise((resolve) => setImmediate(resolve));
  if (!fetching) throw new Error('the source did not start fetching');
  let offerNs = 0n;
  let encodeNs = 0n;
  let pulled = 0;
  let bytes = 0;
  let pull = firstPull;
  for (const batch of batches) {
    const t0 = process.hrtime.bigint();
    source.offer(batch, () => undefined);
    offerNs += process.hrtime.bigint() - t0;
    const { value: records } = await pull;
    const t1 = process.hrtime.bigint();
    const replies = new MeasuredReplies('binary');
    for (const record of records!) replies.add(record, false);
    for (let from = 0; from < records!.length; from += 1000) bytes += replies.encodeBatch(from, Math.min(records!.length, from + 1000)).length;
    encodeNs += process.hrtime.bigint() - t1;
    pulled += records!.length;
    pull = iterator.next();
  }
  abort.abort();
  if (pulled !== COUNT || bytes === 0) throw new Error(`pulled ${pulled} of ${COUNT}`);
  return { offerNs: Number(offerNs) / COUNT, encodeNs: Number(encodeNs) / COUNT };
}

const results: Array<{ offerNs: number; encodeNs: number }> = [];
for (let i = 0; i < ROUNDS; i++) results.push(await round());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const show = (xs: number[]) => `${median(xs).toFixed(0)} ns (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
console.log(`${COUNT} records of ${VALUE_BYTES} B, ${ROUNDS} rounds, per record: offer (map + copy + buffer) ${show(results.map((r) => r.offerNs))}, measure + encode ${show(results.map((r) => r.encodeNs))}`);
