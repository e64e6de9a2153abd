import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromKafkaMessage } from '../../plugins/kafka-records/cloudevents.ts';
import type { FetchedMessage } from '../../plugins/kafka-records/driver.ts';
import type { KafkajsMessage } from '../../plugins/kafka-records/drivers/kafkajs/record-batches.ts';
import { decodeRecordBatches } from '../../plugins/kafka-records/drivers/kafkajs/record-batches.ts';
import { blockOf, indexRecordBatches, inflateRecordBatches } from '../../plugins/kafka-records/record-columns.ts';
import { gunzipSync } from 'node:zlib';
import { RecordBlock } from '../../src/contracts/index.ts';
import { BlockReplies, encodeReceiveReply, MeasuredReplies, NotAnEventError } from '../../src/grpc/encoding.ts';
import { batch, body, carriableHeaders, type Batch } from '../support/record-batches.ts';

/**
 * The receive path's columns against the object path they replace, on
 * record batches kafkajs's encoder writes: the same records (offsets,
 * timestamps, keys, values, control flags) and, through the gRPC encoder,
 * the same reply bytes.
 */

/** Mostly what a block can carry: uncompressed, offsets below 2^53, no headers or headers it can carry. */
const plainBatch = batch.map((b) => ({ ...b, gzip: false, firstOffset: b.firstOffset % 1_000_000n, records: b.records.map((r) => ({ ...r, headers: {} })) }));
const withHeaders = batch.map((b) => ({ ...b, gzip: false, firstOffset: b.firstOffset % 1_000_000n }));
const batches = fc.array(fc.oneof({ arbitrary: plainBatch, weight: 3 }, { arbitrary: withHeaders, weight: 2 }, { arbitrary: batch, weight: 1 }), { minLength: 1, maxLength: 4 });

/** Whether a block can carry every record of these batches, as far as `decoded` reached. */
function carriable(list: Batch[], decoded: KafkajsMessage[]): boolean {
  const reached = new Set(decoded.map((m) => m.batchContext));
  const contexts = [...reached];
  return list.every((b, i) => {
    if (i >= contexts.length) return true;
    const context = contexts[i]!;
    const limit = 2 ** 53 - 2 ** 32;
    if (b.gzip || Number(context.firstOffset) >= limit) return false;
    if (!b.control && !b.records.every((r) => carriableHeaders(r.headers))) return false;
    return decoded.filter((m) => m.batchContext === context).every((m) => Math.abs(Number(m.timestamp)) <= 8.64e15);
  });
}

describe('record columns: the receive path without an object per record', () => {
  it('index the records the object decoder reads, or decline (compression, headers it cannot carry, offsets past 2^53) (property)', async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.nat({ max: 300 }), async (list, cut) => {
        const buf = await body(list, cut);
        const decoded = await decodeRecordBatches(buf).catch((err: Error) => err);
        if (decoded instanceof Error) {
          expect(() => indexRecordBatches(buf)).toThrow(RangeError);
          return;
        }
        const fetched = indexRecordBatches(buf);
        if (buf.length <= 16) return;
        expect(fetched !== undefined).toBe(carriable(list, decoded));
        if (fetched === undefined) return;
        expect(fetched.rows).toBe(decoded.length);
        for (let row = 0; row < fetched.rows; row++) {
          const m = decoded[row]!;
          const c = row * RecordBlock.STRIDE;
          expect(fetched.columns[c]).toBe(Number(m.offset));
          expect(fetched.columns[c + 1]).toBe(Number(m.timestamp));
          const slice = (start: number, length: number) => (length < 0 ? null : Buffer.from(fetched.bytes.subarray(start, start + length)));
          expect(slice(fetched.columns[c + 2]!, fetched.columns[c + 3]!)).toEqual(m.key);
          expect(slice(fetched.columns[c + 4]!, fetched.columns[c + 5]!)).toEqual(m.value);
          expect(fetched.control?.[row] === 1).toBe(m.isControlRecord);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('compressed batches, inflated, read as the object decoder reads the originals; without one, nothing to inflate (property)', async () => {
    const gunzip = async (attributes: number, records: Buffer) => {
      expect(attributes & 0x7).toBe(1);
      return gunzipSync(records);
    };
    const fields = (list: KafkajsMessage[]) => list.map((m) => [m.offset, m.timestamp, m.key, m.value, m.headers, m.isControlRecord, m.attributes]);
    await fc.assert(
      fc.asyncProperty(batches, fc.nat({ max: 300 }), async (list, cut) => {
        const buf = await body(list, cut);
        const decoded = await decodeRecordBatches(buf).catch(() => undefined);
        if (decoded === undefined) return;
        const inflated = await inflateRecordBatches(buf, gunzip);
        const contexts = new Set(decoded.map((m) => m.batchContext));
        const compressedReached = list.slice(0, contexts.size).some((b) => b.gzip && b.records.length > 0);
        // Inflated exactly when a compressed batch came whole (there is nothing to gain otherwise).
        expect(inflated !== undefined).toBe(compressedReached);
        if (inflated === undefined) return;
        const again = await decodeRecordBatches(inflated);
        expect(fields(again)).toEqual(fields(decoded));
        const fetched = indexRecordBatches(inflated);
        if (fetched === undefined) return;
        expect(fetched.rows).toBe(decoded.length);
        for (let row = 0; row < fetched.rows; row++) {
          const c = row * RecordBlock.STRIDE;
          expect(fetched.columns[c]).toBe(Number(decoded[row]!.offset));
          expect(Buffer.from(fetched.bytes.subarray(fetched.columns[c + 4]!, fetched.columns[c + 4]! + Math.max(fetched.columns[c + 5]!, 0)))).toEqual(decoded[row]!.value ?? Buffer.alloc(0));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a block holds the records fromKafkaMessage makes of them, headers included, from any row, control records left out, and replies in the same bytes (property)', async () => {
    const carriable = (r: Batch['records'][number]) => (carriableHeaders(r.headers) ? r.headers : {});
    // Every record a CloudEvent: its id added to what headers it can carry.
    const eventBatch = withHeaders.map((b) => ({ ...b, records: b.records.map((r, i) => ({ ...r, headers: { ...carriable(r), ce_id: Buffer.from(`id-${i}`) } })) }))
      .filter((b) => b.records.every((r) => carriableHeaders(r.headers)));
    const blockBatch = fc.oneof(plainBatch, withHeaders.map((b) => ({ ...b, records: b.records.map((r) => ({ ...r, headers: carriable(r) })) })), eventBatch);
    await fc.assert(
      fc.asyncProperty(fc.array(blockBatch, { minLength: 1, maxLength: 3 }), fc.nat(), fc.integer({ min: -1, max: 1_000_100 }), async (list, fromSeed, replay) => {
        const buf = await body(list, 0);
        const fetched = indexRecordBatches(buf)!;
        const decoded = await decodeRecordBatches(buf);
        expect(fetched).toBeDefined();
        const from = fromSeed % (fetched.rows + 1);
        const block = blockOf('t', 3, fetched, from);
        const expected = decoded
          .slice(from)
          .filter((m) => !m.isControlRecord)
          .map((m) => fromKafkaMessage('t', 3, m as FetchedMessage));
        if (expected.length === 0) {
          expect(block).toBeUndefined();
          return;
        }
        const records = block!.toRecords();
        expect(records.map((r) => ({ ...r, key: r.key && Buffer.from(r.key), value: r.value && Buffer.from(r.value) }))).toEqual(
          expected.map((r) => ({ ...r, key: r.key && Buffer.from(r.key), value: r.value && Buffer.from(r.value) })),
        );
        // A view of the fetch response only where its records are at least a third of it; else a copy.
        const pins = block!.bytes.buffer === buf.buffer;
        expect(pins).toBe(3 * block!.bytes.byteLength >= buf.buffer.byteLength);

        const replayThrough = BigInt(replay);
        if (block!.eventRows !== undefined) {
          // CloudEvents: as LiiklusEvent, the same bytes as from the objects; a record that is no event refused alike.
          const events = new BlockReplies(block!, replayThrough, 'event');
          const eventObjects = new MeasuredReplies('event');
          for (let i = 0; i < records.length; i++) {
            const replayed = records[i]!.offset <= replayThrough;
            if (records[i]!.event === null) {
              expect(() => events.size(i)).toThrow(NotAnEventError);
              expect(() => new MeasuredReplies('event').add(records[i]!, replayed)).toThrow(NotAnEventError);
              continue;
            }
            expect(events.size(i)).toBe(eventObjects.add(records[i]!, replayed));
            expect(events.encodeOne(i)).toEqual(encodeReceiveReply(records[i]!, 'event', replayed));
          }
          if (records.every((r) => r.event !== null)) expect(events.encodeBatch(0, records.length)).toEqual(eventObjects.encodeBatch(0, records.length));
          return;
        }
        const fromBlock = new BlockReplies(block!, replayThrough);
        const fromObjects = new MeasuredReplies('binary');
        for (let i = 0; i < records.length; i++) {
          expect(fromBlock.size(i)).toBe(fromObjects.add(records[i]!, records[i]!.offset <= replayThrough));
          expect(fromBlock.encodeOne(i)).toEqual(encodeReceiveReply(records[i]!, 'binary', records[i]!.offset <= replayThrough));
        }
        expect(fromBlock.encodeBatch(0, records.length)).toEqual(fromObjects.encodeBatch(0, records.length));
        // Per-record messages back to back, each behind its gRPC prefix (flag 0, length).
        const framed = Buffer.concat(
          records.map((r) => {
            const reply = encodeReceiveReply(r, 'binary', r.offset <= replayThrough);
            const prefix = Buffer.alloc(5);
            prefix.writeUInt32BE(reply.length, 1);
            return Buffer.concat([prefix, reply]);
          }),
        );
        expect(fromBlock.encodeMessages(0, records.length)).toEqual(framed);
        expect(fromObjects.encodeMessages(0, records.length)).toEqual(framed);
        const mid = Math.floor(records.length / 2);
        expect(fromBlock.encodeBatch(mid, records.length)).toEqual(fromObjects.encodeBatch(mid, records.length));
      }),
      { numRuns: 300 },
    );
  });

  it('a block is a view of a fetch response it fills at least a third of, else a copy of its own', async () => {
    const batchBytes = await body([{ records: Array.from({ length: 50 }, (_, i) => ({ key: null, value: Buffer.alloc(100, i), timestampDelta: i, headers: {} })), firstOffset: 0n, firstTimestamp: 7, gzip: false, transactional: false, logAppendTime: false, control: false, producerId: -1n }], 0);
    // A response of about the batch's size: the block reads it in place.
    const alone = Buffer.from(new Uint8Array(batchBytes).buffer);
    const view = blockOf('t', 0, indexRecordBatches(alone)!, 0)!;
    expect(view.bytes.buffer).toBe(alone.buffer);
    // The same batch in a response four times its size: copied.
    const large = new Uint8Array(batchBytes.length * 4);
    large.set(batchBytes);
    const inLarge = Buffer.from(large.buffer, 0, batchBytes.length);
    const copy = blockOf('t', 0, indexRecordBatches(inLarge)!, 0)!;
    expect(copy.bytes.buffer).not.toBe(large.buffer);
    expect(copy.toRecords()).toEqual(view.toRecords());
    // From row 40 on, 10 of the 50 records in that response of its own: copied too.
    expect(blockOf('t', 0, indexRecordBatches(alone)!, 40)!.bytes.buffer).not.toBe(alone.buffer);
  });

  it('a null header value: read as an empty one, as the object path does, in records and in replies', async () => {
    const headers = { before: Buffer.from('b'), nullable: Buffer.alloc(0), after: Buffer.from('a') };
    const buf = await body([{ records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestampDelta: 0, headers }], firstOffset: 5n, firstTimestamp: 7, gzip: false, transactional: false, logAppendTime: false, control: false, producerId: -1n }], 0);
    // kafkajs's encoder writes no null value: its empty value's length (zigzag 0) becomes -1 (zigzag 1), the same size.
    const name = buf.indexOf('nullable');
    expect(buf[name + 'nullable'.length]).toBe(0);
    buf[name + 'nullable'.length] = 1;
    const [message] = await decodeRecordBatches(buf);
    expect(message!.headers.nullable).toBeNull();
    const block = blockOf('t', 0, indexRecordBatches(buf)!, 0)!;
    expect(block.headerColumns).toBeDefined();
    const [record] = block.toRecords();
    const expected = fromKafkaMessage('t', 0, message as FetchedMessage);
    expect([...record!.headers.keys()]).toEqual(['before', 'nullable', 'after']);
    expect(record!.headers).toEqual(expected.headers);
    expect(record!.headers.get('nullable')).toEqual(new Uint8Array(0));
    const replies = new BlockReplies(block, -1n);
    replies.size(0);
    expect(replies.encodeOne(0)).toEqual(encodeReceiveReply(expected, 'binary', false));
  });

  it('declines a CloudEvent whose extension name starts with a digit (the object path orders integer-like names first)', async () => {
    const headers = { ce_id: Buffer.from('1'), ce_b: Buffer.from('x'), ce_1: Buffer.from('y') };
    const buf = await body([{ records: [{ key: null, value: Buffer.from('v'), timestampDelta: 0, headers }], firstOffset: 0n, firstTimestamp: 7, gzip: false, transactional: false, logAppendTime: false, control: false, producerId: -1n }], 0);
    expect(indexRecordBatches(buf)).toBeUndefined();
    const [message] = await decodeRecordBatches(buf);
    expect(Object.keys(fromKafkaMessage('t', 0, message as FetchedMessage).event!.extensions)).toEqual(['1', 'b']);
  });

  it('after() and slice() narrow a block to the records past an offset', async () => {
    const buf = await body([{ records: Array.from({ length: 5 }, () => ({ key: null, value: Buffer.from('v'), timestampDelta: 0, headers: {} })), firstOffset: 100n, firstTimestamp: 7, gzip: false, transactional: false, logAppendTime: false, control: false, producerId: -1n }], 0);
    const block = blockOf('t', 0, indexRecordBatches(buf)!, 0)!;
    expect(block.after(99n)).toBe(block);
    expect(block.after(102n)!.toRecords().map((r) => r.offset)).toEqual([103n, 104n]);
    expect(block.after(104n)).toBeUndefined();
    expect(block.slice(1, 3)!.toRecords().map((r) => r.offset)).toEqual([101n, 102n]);
    expect([block.firstOffset, block.lastOffset]).toEqual([100n, 104n]);
  });
});
