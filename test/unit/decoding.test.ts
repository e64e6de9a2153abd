import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeReceiveBatchReply, decodeReceiveReply, WireFormatError } from '../../src/client/decoding.ts';
import { toConsumedRecord } from '../../src/client/records.ts';
import type { ReceiveReplyMessage } from '../../src/client/wire.ts';
import { MeasuredReplies } from '../../src/grpc/encoding.ts';
import { PROTO_PATH } from '../../src/grpc/proto.ts';
import type { StoredRecord } from '../../src/contracts/index.ts';

// The reference: protobufjs, with the proto every generated client uses, encoding what any gateway
// (Liiklus included) may send, and decoding it the way the client did before the hand-written decoder.
const root = protobuf.loadSync(PROTO_PATH);
const type = (name: string) => root.lookupType(`com.github.bsideup.liiklus.${name}`);
const encode = (name: string, message: object) => Buffer.from(type(name).encode(type(name).fromObject(message)).finish());
const reference = (bytes: Buffer): ReceiveReplyMessage =>
  type('ReceiveReply').toObject(type('ReceiveReply').decode(bytes), { longs: String, bytes: Buffer, defaults: true, oneofs: true }) as ReceiveReplyMessage;

/** The record as the client handed it over before the hand-written decoder (generated decoding + toConsumedRecord). */
function expected(bytes: Buffer) {
  const reply = reference(bytes);
  if (reply.skipped) return { offset: BigInt(reply.skipped.offset), skipped: true };
  return plain(toConsumedRecord('t', 3, reply));
}

/** Buffers as plain byte arrays, so that views and copies compare equal. */
const plain = (value: unknown): unknown =>
  Buffer.isBuffer(value) || value instanceof Uint8Array
    ? [...value]
    : value instanceof Date || value === null || typeof value !== 'object'
      ? value
      : Array.isArray(value)
        ? value.map(plain)
        : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));

const decodedOne = (bytes: Buffer) => plain(decodeReceiveReply(bytes, 't', 3)[0]);

describe('hand-written client decoding of ReceiveReply / ReceiveBatchReply', () => {
  it('a Record with every field reads as the generated client read it', () => {
    const bytes = encode('ReceiveReply', {
      record: {
        offset: '42',
        key: Buffer.from('k'),
        value: Buffer.from('value'),
        timestamp: { seconds: 1_795_467_600, nanos: 123_000_000 },
        replay: true,
        headers: { h1: Buffer.from('x'), ünïcode: Buffer.from('y'), empty: Buffer.alloc(0) },
      },
    });
    const record = decodeReceiveReply(bytes, 't', 3)[0]!;
    expect(decodedOne(bytes)).toEqual(expected(bytes));
    expect(record).toMatchObject({ offset: 42n, replay: true, timestamp: new Date(1_795_467_600_123) });
    if ('skipped' in record) throw new Error('expected a record');
    expect(record.headers['ünïcode']!.toString()).toBe('y');
    expect(record.headers.empty).toEqual(Buffer.alloc(0));
  });

  it('a LiiklusEventRecord: the event with its extensions, value = its data, no headers', () => {
    const bytes = encode('ReceiveReply', {
      liiklusEventRecord: {
        offset: '7',
        key: Buffer.from('k'),
        event: { id: 'e1', type: 'com.example.created', source: '/src', time: '2026-11-23T00:00:00Z', dataContentType: 'application/json', data: Buffer.from('{"a":1}'), extensions: { traceparent: 'x', b: '' } },
        timestamp: { seconds: 1, nanos: 0 },
      },
    });
    expect(decodedOne(bytes)).toEqual(expected(bytes));
    const record = decodeReceiveReply(bytes, 't', 3)[0] as { event: { extensions: object }; value: Buffer };
    expect(record.event.extensions).toEqual({ traceparent: 'x', b: '' });
    expect(record.value.toString()).toBe('{"a":1}');
  });

  it('defaults: offset 0, empty key and value, no timestamp (null), an event record without its event', () => {
    const empty = encode('ReceiveReply', { record: {} });
    expect(decodedOne(empty)).toEqual(expected(empty));
    expect(decodeReceiveReply(empty, 't', 3)[0]).toMatchObject({ offset: 0n, timestamp: null, replay: false, event: null });
    const eventless = encode('ReceiveReply', { liiklusEventRecord: { offset: '3' } });
    expect(decodedOne(eventless)).toEqual(expected(eventless));
  });

  it('uint64 offsets keep full precision beyond 2^53, up to 2^64 - 1', () => {
    for (const offset of [2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      const bytes = encode('ReceiveReply', { record: { offset: offset.toString() } });
      expect(decodeReceiveReply(bytes, 't', 3)[0]!.offset).toBe(offset);
    }
  });

  it('negative timestamps (before 1970) read as the generated client read them', () => {
    const bytes = encode('ReceiveReply', { record: { offset: '1', timestamp: { seconds: -86_400, nanos: 5_000_000 } } });
    expect(decodedOne(bytes)).toEqual(expected(bytes));
  });

  it('the skipped marker of a filtered subscription', () => {
    const bytes = encode('ReceiveReply', { skipped: { offset: '99' } });
    expect(decodeReceiveReply(bytes, 't', 3)).toEqual([{ offset: 99n, skipped: true }]);
  });

  it('unknown fields (a newer gateway) are skipped at every level, in every wire type', () => {
    const record = encode('ReceiveReply.Record', { offset: '5', value: Buffer.from('v') });
    const unknown = Buffer.from([
      (9 << 3) | 0, 0x96, 0x01, // varint
      (10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8, // fixed64
      (11 << 3) | 2, 2, 0xaa, 0xbb, // bytes
      (12 << 3) | 5, 1, 2, 3, 4, // fixed32
    ]);
    const inner = Buffer.concat([record, unknown]);
    const reply = Buffer.concat([unknown, Buffer.from([0x0a, inner.length]), inner, unknown]);
    const [decoded] = decodeReceiveReply(reply, 't', 3);
    expect(decoded).toMatchObject({ offset: 5n, value: Buffer.from('v') });
  });

  it('a ReceiveBatchReply from the gateway encoder reads back record for record, in order', () => {
    const records: StoredRecord[] = Array.from({ length: 5 }, (_, i) => ({
      topic: 't',
      partition: 3,
      offset: BigInt(100 + i),
      timestamp: new Date(1_700_000_000_000 + i),
      key: i % 2 ? Buffer.from(`k${i}`) : null,
      value: Buffer.from(`v${i}`),
      event: null,
      headers: new Map(i === 2 ? [['h', Buffer.from('x')]] : []),
    }));
    const replies = new MeasuredReplies('binary');
    records.forEach((r) => replies.add(r, r.offset < 102n));
    const batch = replies.encodeBatch(0, records.length);
    const decoded = decodeReceiveBatchReply(batch, 't', 3);
    expect(decoded.map((r) => r.offset)).toEqual([100n, 101n, 102n, 103n, 104n]);
    expect(decoded.map((r) => ('replay' in r ? r.replay : undefined))).toEqual([true, true, false, false, false]);
    expect(decoded.map((r) => ('value' in r ? r.value.toString() : ''))).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(decoded[2]).toMatchObject({ headers: { h: Buffer.from('x') }, key: Buffer.alloc(0), timestamp: new Date(1_700_000_000_002) });
  });

  it('truncated or overrunning messages fail with WireFormatError, never with a wrong record', () => {
    const bytes = encode('ReceiveReply', { record: { offset: '300', value: Buffer.from('value') } });
    for (let cut = 1; cut < bytes.length; cut++) expect(() => decodeReceiveReply(bytes.subarray(0, cut), 't', 3)).toThrow(WireFormatError);
    expect(() => decodeReceiveReply(Buffer.from([0x0b]), 't', 3)).toThrow(/wire type 3/);
  });

  it('any record protobufjs can encode reads the same as the generated client read it (property)', () => {
    const bytesArb = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
    const recordArb = fc.record({
      offset: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
      key: bytesArb,
      value: bytesArb,
      timestamp: fc.option(fc.record({ seconds: fc.integer({ min: -1e10, max: 1e11 }), nanos: fc.integer({ min: 0, max: 999_999_999 }) }), { nil: undefined }),
      replay: fc.boolean(),
      headers: fc.dictionary(fc.string({ maxLength: 8 }), bytesArb, { maxKeys: 4 }),
    });
    fc.assert(
      fc.property(recordArb, (record) => {
        const bytes = encode('ReceiveReply', { record });
        expect(decodedOne(bytes)).toEqual(expected(bytes));
      }),
      { numRuns: 300 },
    );
  });
});
