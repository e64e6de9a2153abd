import { createRequire } from 'node:module';
import fc from 'fast-check';

/**
 * Random record batches as kafkajs's own encoder writes them, for the tests of
 * the gateway's record batch readers (test/unit/kafkajs-record-batches.test.ts,
 * test/unit/record-columns.test.ts).
 */
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (options: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (options: object) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: bigint | string | number): unknown };
const { Types } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };

/** Byte 9 after a batch's length field: its attributes (low byte). */
const ATTRIBUTES_LOW = 8 + 4 + 10;

export const bytes = fc.option(fc.uint8Array({ maxLength: 40 }).map(Buffer.from), { nil: null });
// Names kafkajs's header reduction handles as plain keys (it misreads inherited names such as "constructor"),
// and a few a record block must decline or keep apart: a CloudEvent's id, non-ASCII, integer-like.
// CloudEvent attributes (ce_id makes a record an event) among them.
const headerName = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z_.-]{0,8}$/), weight: 6 },
  { arbitrary: fc.constantFrom('né', '1', '07'), weight: 1 },
  { arbitrary: fc.constantFrom('ce_id', 'ce_type', 'ce_source', 'ce_time', 'ce_specversion', 'content-type', 'ce_ext', 'ce_', 'ce_1'), weight: 3 },
);
// Any bytes, or text (most attribute values are ASCII).
const headerBytes = fc.oneof(fc.uint8Array({ maxLength: 8 }).map(Buffer.from), fc.stringMatching(/^[ -~]{0,8}$/).map((t) => Buffer.from(t)));
// Mostly one value per name, sometimes the name repeated (kafkajs's encoder cannot write a null value:
// test/unit/record-columns.test.ts patches one in).
const headerValue = fc.oneof({ arbitrary: headerBytes, weight: 6 }, { arbitrary: fc.array(headerBytes, { minLength: 1, maxLength: 3 }), weight: 1 });
export const record = fc.record({
  key: bytes,
  value: bytes,
  timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
});
export const batch = fc.record({
  records: fc.array(record, { minLength: 1, maxLength: 20 }),
  firstOffset: fc.oneof(fc.bigInt({ min: 0n, max: 1_000_000n }), fc.bigInt({ min: 2n ** 53n - 100n, max: 2n ** 53n + 100n }), fc.bigInt({ min: 2n ** 62n, max: 2n ** 63n - 2n ** 32n })),
  firstTimestamp: fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.constant(-1)),
  gzip: fc.boolean(),
  transactional: fc.boolean(),
  logAppendTime: fc.boolean(),
  control: fc.boolean(),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 40n }),
});
export type Batch = typeof batch extends fc.Arbitrary<infer T> ? T : never;

export async function encode(b: Batch): Promise<Buffer> {
  const records = b.records.map((r, i) => Record({ offsetDelta: i, timestampDelta: r.timestampDelta, key: r.key, value: r.value, headers: r.headers }));
  const { buffer } = await RecordBatch({
    compression: b.gzip ? Types.GZIP : Types.None,
    firstOffset: Long.fromValue(b.firstOffset),
    firstTimestamp: b.firstTimestamp,
    maxTimestamp: b.firstTimestamp + 5,
    lastOffsetDelta: records.length - 1,
    transactional: b.transactional,
    producerId: Long.fromValue(b.producerId),
    records,
  });
  // Flags kafkajs's encoder does not set (neither decoder checks the CRC).
  buffer[ATTRIBUTES_LOW] = buffer[ATTRIBUTES_LOW]! | (b.logAppendTime ? 0x08 : 0) | (b.control ? 0x20 : 0);
  return buffer;
}

/** A partition's messages as a fetch response holds them: their size, then the batches, the last possibly cut off. */
export function messages(batches: Buffer[], cut: number): Buffer {
  const body = Buffer.concat(batches);
  const kept = body.subarray(0, Math.max(0, body.length - cut));
  const size = Buffer.alloc(4);
  size.writeInt32BE(kept.length);
  return Buffer.concat([size, kept]);
}


export const isAscii = (text: string | Uint8Array) => [...text].every((ch) => (typeof ch === 'number' ? ch : ch.charCodeAt(0)) < 0x80);

/**
 * Headers a block carries: ASCII names, each once in its record; for a
 * CloudEvent (a `ce_id` header), ASCII values of its `ce_*` and `content-type`
 * headers and no extension name starting with a digit.
 */
export const carriableHeaders = (headers: Record<string, Buffer | Buffer[]>) => {
  const entries = Object.entries(headers);
  if (!entries.every(([name, value]) => !(Array.isArray(value) && value.length > 1) && isAscii(name))) return false;
  if (!('ce_id' in headers)) return true;
  return entries.every(([name, value]) => {
    if (!name.startsWith('ce_') && name !== 'content-type') return true;
    const bytes = Array.isArray(value) ? value[0]! : value;
    return isAscii(bytes) && !/^ce_[0-9]/.test(name);
  });
};

/** The record batches of a partition as a fetch response holds them, without the size before them. */
export async function body(list: Batch[], cut: number): Promise<Buffer> {
  return messages(await Promise.all(list.map(encode)), cut).subarray(4);
}
