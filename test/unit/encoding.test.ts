import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { RecordBlock, type StoredRecord } from '../../src/contracts/index.ts';
import {
  BlockReplies,
  encodePublishBatchReply,
  encodePublishReply,
  MeasuredReplies,
  encodeReceiveReply,
  NotAnEventError,
  receiveReplySize,
} from '../../src/grpc/encoding.ts';
import { PROTO_PATH } from '../../src/grpc/proto.ts';

// The reference: protobufjs decoding with the proto the clients use.
const root = protobuf.loadSync(PROTO_PATH);
const type = (name: string) => root.lookupType(`com.github.bsideup.liiklus.${name}`);
const decode = (name: string, bytes: Uint8Array) =>
  type(name).toObject(type(name).decode(bytes), { longs: String, bytes: Buffer, defaults: true, oneofs: true });

const bytes = (s: string) => new Uint8Array(Buffer.from(s));

function record(overrides: Partial<StoredRecord> = {}): StoredRecord {
  return {
    topic: 't',
    partition: 3,
    offset: 42n,
    timestamp: new Date('2026-11-23T21:00:00.123Z'),
    key: bytes('k'),
    value: bytes('value'),
    event: null,
    headers: new Map([
      ['h1', bytes('x')],
      ['ünïcode', bytes('y')],
    ]),
    ...overrides,
  };
}

describe('hand-written reply encoding', () => {
  it('a BINARY ReceiveReply decodes to what protobufjs reads: offset, key, value, timestamp, replay, headers', () => {
    const reply = decode('ReceiveReply', encodeReceiveReply(record(), 'binary', true));
    expect(reply.reply).toBe('record');
    const r = reply.record;
    expect(r.offset).toBe('42');
    expect(Buffer.from(r.key).toString()).toBe('k');
    expect(Buffer.from(r.value).toString()).toBe('value');
    expect(r.timestamp).toEqual({ seconds: String(Math.floor(Date.parse('2026-11-23T21:00:00.123Z') / 1000)), nanos: 123_000_000 });
    expect(r.replay).toBe(true);
    expect(Object.fromEntries(Object.entries(r.headers as Record<string, Buffer>).map(([k, v]) => [k, v.toString()]))).toEqual({ h1: 'x', ünïcode: 'y' });
  });

  it('uint64 offsets keep full precision; zero, empty and null fields are left out but read back as defaults', () => {
    const big = decode('ReceiveReply', encodeReceiveReply(record({ offset: 18446744073709551615n }), 'binary', false));
    expect(big.record.offset).toBe('18446744073709551615');
    const beyondSafe = decode('ReceiveReply', encodeReceiveReply(record({ offset: 2n ** 53n + 1n }), 'binary', false));
    expect(beyondSafe.record.offset).toBe(String(2n ** 53n + 1n));
    const empty = decode(
      'ReceiveReply',
      encodeReceiveReply(record({ offset: 0n, key: null, value: null, headers: new Map(), timestamp: new Date(0) }), 'binary', false),
    );
    expect(empty.record.offset).toBe('0');
    expect(empty.record.key.length).toBe(0);
    expect(empty.record.value.length).toBe(0);
    expect(empty.record.timestamp).toEqual({ seconds: '0', nanos: 0 });
    expect(empty.record.replay).toBe(false);
  });

  it('a timestamp before 1970 is a negative int64', () => {
    const reply = decode('ReceiveReply', encodeReceiveReply(record({ timestamp: new Date(-1500) }), 'binary', false));
    expect(reply.record.timestamp).toEqual({ seconds: '-2', nanos: 500_000_000 });
  });

  it('a LIIKLUS_EVENT reply carries the event with its extensions; a plain record cannot be one', () => {
    const event = { id: 'id-1', type: 'com.example', source: '/src', time: '2026-11-23T21:00:00Z', dataContentType: 'text/plain', data: bytes('d'), extensions: { traceid: 'abc' } };
    const reply = decode('ReceiveReply', encodeReceiveReply(record({ event }), 'event', false));
    expect(reply.reply).toBe('liiklusEventRecord');
    const e = reply.liiklusEventRecord.event;
    expect({ ...e, data: Buffer.from(e.data).toString() }).toEqual({ ...event, data: 'd' });
    expect(reply.liiklusEventRecord.offset).toBe('42');
    expect(() => encodeReceiveReply(record(), 'event', false)).toThrow(NotAnEventError);
  });

  it('a ReceiveBatchReply holds the chosen slice in order, with per-record replay flags', () => {
    const records = [0n, 1n, 2n, 3n].map((offset) => record({ offset, value: bytes(`v${offset}`) }));
    const replies = new MeasuredReplies('binary');
    const sizes = records.map((r) => replies.add(r, r.offset <= 1n));
    expect(sizes).toEqual(records.map((r) => receiveReplySize(r, 'binary', r.offset <= 1n)));
    const batch = decode('ReceiveBatchReply', replies.encodeBatch(1, 3));
    expect(batch.replies.map((r: { record: { offset: string; replay: boolean; value: Buffer } }) => [r.record.offset, r.record.replay, Buffer.from(r.record.value).toString()])).toEqual([
      ['1', true, 'v1'],
      ['2', false, 'v2'],
    ]);
  });

  it('records in a row keep their own timestamps, equal or a millisecond or a second apart, in any order (property)', () => {
    // The encoder keeps the last timestamp field it wrote; consecutive records must not borrow a neighbour's.
    const base = Date.parse('2026-11-23T21:00:00.998Z');
    const millis = fc.array(fc.constantFrom(0, 1, 2, 999, 1000, 1001, -1, -base), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(millis, fc.boolean(), (deltas, interleave) => {
        const records = deltas.map((delta, i) => record({ offset: BigInt(i), timestamp: new Date(base + delta) }));
        const replies = new MeasuredReplies('binary');
        for (const r of records) replies.add(r, false);
        // Measured and written in a different order than each other when interleaved.
        const encoded = interleave ? records.map((r) => encodeReceiveReply(r, 'binary', false)) : [replies.encodeBatch(0, records.length)];
        const got = interleave
          ? encoded.map((b) => decode('ReceiveReply', b).record.timestamp)
          : decode('ReceiveBatchReply', encoded[0]!).replies.map((r: { record: { timestamp: unknown } }) => r.record.timestamp);
        expect(got).toEqual(
          records.map((r) => {
            const ms = r.timestamp.getTime();
            const seconds = Math.floor(ms / 1000);
            return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
          }),
        );
      }),
    );
  });

  it('the replies of a block keep each record timestamp, sizes included, when neighbours are a millisecond apart (property)', () => {
    // .998, .999, .000: the last one has no nanos field, so its size differs from its neighbour's.
    const base = Date.parse('2026-11-23T21:00:00.998Z');
    const deltas = fc.array(fc.constantFrom(0, 1, 2, 3, 1000, 1002), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(deltas, (list) => {
        const value = Buffer.from('v');
        const columns = new Float64Array(list.length * RecordBlock.STRIDE);
        list.forEach((delta, i) => columns.set([i, base + delta, 0, -1, 0, 1], i * RecordBlock.STRIDE));
        const block = new RecordBlock('t', 0, value, columns, 0, list.length);
        const replies = new BlockReplies(block, -1n);
        for (let i = 0; i < list.length; i++) replies.size(i);
        const objects = new MeasuredReplies('binary');
        for (const r of block.toRecords()) objects.add(r, false);
        expect(replies.encodeBatch(0, list.length)).toEqual(objects.encodeBatch(0, list.length));
      }),
    );
  });

  it('PublishReply and PublishBatchReply', () => {
    expect(decode('PublishReply', encodePublishReply({ topic: 'tøpic', partition: 7, offset: 2n ** 60n }))).toEqual({ topic: 'tøpic', partition: 7, offset: String(2n ** 60n) });
    const results = [
      { topic: 'a', partition: 0, offset: 0n },
      { topic: 'b', partition: 1, offset: 5n },
    ];
    expect(decode('PublishBatchReply', encodePublishBatchReply(results)).results).toEqual(results.map((r) => ({ ...r, offset: String(r.offset) })));
  });

  it('PublishBatchReply: any results, topics changing and coming back (property)', () => {
    const result = fc.record({
      topic: fc.oneof(fc.constantFrom('orders', 'tøpic', '', 'orders-2'), fc.string({ unit: 'grapheme', maxLength: 20 })),
      partition: fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
      offset: fc.oneof(fc.constantFrom(0n, 1n, 2n ** 53n, 2n ** 53n + 1n), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })),
    });
    fc.assert(
      fc.property(fc.array(result, { maxLength: 40 }), (results) => {
        expect(decode('PublishBatchReply', encodePublishBatchReply(results)).results).toEqual(results.map((r) => ({ ...r, offset: String(r.offset) })));
        for (const r of results.slice(0, 3)) expect(decode('PublishReply', encodePublishReply(r))).toEqual({ ...r, offset: String(r.offset) });
      }),
      { numRuns: 300 },
    );
  });
});

describe('hand-written encoding of events in BINARY replies', () => {
  const event = { id: 'id-1', type: 'com.example', source: '/src', time: '', dataContentType: 'application/json', data: bytes('{"n":1}'), extensions: { tenant: 'acme' } };

  it('format BINARY carries the event as a CloudEvents JSON document (as Liiklus)', () => {
    const r = decode('ReceiveReply', encodeReceiveReply(record({ event, value: bytes('{"n":1}') }), 'binary', false)).record;
    expect(JSON.parse(Buffer.from(r.value).toString())).toMatchObject({ specversion: '1.0', id: 'id-1', tenant: 'acme', data: { n: 1 } });
  });

  it('cloudevents_binary_mode carries the data with ce_* headers beside the record headers', () => {
    const r = decode('ReceiveReply', encodeReceiveReply(record({ event, value: bytes('{"n":1}') }), 'binary-event-data', false)).record;
    expect(Buffer.from(r.value).toString()).toBe('{"n":1}');
    expect(Buffer.from(r.headers.ce_id).toString()).toBe('id-1');
    expect(Buffer.from(r.headers.h1).toString()).toBe('x');
  });
});
