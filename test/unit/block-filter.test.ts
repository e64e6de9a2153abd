import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockOf, indexRecordBatches } from '../../plugins/kafka-records/record-columns.ts';
import { RecordBlock, type StoredRecord } from '../../src/contracts/index.ts';
import { compileFilter, compileRecordFilter, filterBatch, filterRun, type RecordFilterSpec } from '../../src/filtering/index.ts';
import { BlockReplies, MeasuredReplies } from '../../src/grpc/encoding.ts';
import { batch, body, carriableHeaders } from '../support/record-batches.ts';

/**
 * A filtered subscription reads a block's rows as they are (no object per
 * record): it must deliver exactly the records, and mark exactly the skipped
 * tail, that the filter on the records as objects does.
 */

const texts = ['', 'a', 'order', 'order.paid', 'né'];
// Blocks: uncompressed, offsets below 2^53, headers a block carries; a share of records CloudEvents.
const blockBatch = fc.tuple(batch, fc.boolean()).map(([b, events]) => ({
  ...b,
  gzip: false,
  firstOffset: b.firstOffset % 1_000_000n,
  records: b.records.map((r, i) => {
    const headers = carriableHeaders(r.headers) ? r.headers : {};
    // Event types from a small set, so that type filters match some of them.
    // Every fourth event without a type (its type reads as empty).
    const type = i % 4 === 2 ? {} : { ce_type: Buffer.from(texts[i % 4]!) };
    const asEvent = events && i % 2 === 0 ? { ce_id: Buffer.from(`id-${i}`), ...type } : {};
    const merged = { ...headers, ...asEvent };
    return { ...r, key: i % 3 === 0 ? Buffer.from(`u-${i}`) : r.key, headers: carriableHeaders(merged) ? merged : headers };
  }),
}));

/** Filter conditions, drawn partly from the records themselves so that some match. */
function specs(records: StoredRecord[]): fc.Arbitrary<RecordFilterSpec> {
  const headerPairs = records.flatMap((r) => [...r.headers].map(([name, value]) => [name, Buffer.from(value)] as const));
  // The attributes an event moves out of its headers, asked for as headers: never a match on an event.
  const eventAttributes: Array<readonly [string, Buffer]> = [['ce_type', Buffer.from('order')], ['content-type', Buffer.from('a')], ['ce_id', Buffer.from('id-0')]];
  const pair = fc.constantFrom(...headerPairs, ...eventAttributes, ['x', Buffer.alloc(0)] as const);
  return fc.record({
    eventType: fc.option(fc.constantFrom(...texts), { nil: undefined }),
    eventTypePrefix: fc.option(fc.constantFrom(...texts, 'ord', 'o'), { nil: undefined }),
    headers: fc.array(pair, { maxLength: 2 }).map((pairs) => new Map(pairs)),
    keyPrefix: fc.option(fc.constantFrom(Buffer.alloc(0), Buffer.from('u'), Buffer.from('u-1'), Buffer.from([0])), { nil: undefined }),
  });
}

const plain = (records: readonly StoredRecord[]) =>
  records.map((r) => ({ ...r, key: r.key && Buffer.from(r.key), value: r.value && Buffer.from(r.value), headers: new Map([...r.headers].map(([k, v]) => [k, Buffer.from(v)])) }));

describe('filters on record blocks', () => {
  it('deliver the records and mark the skipped tail as the filter on objects does (property)', async () => {
    const blocks = fc.array(blockBatch, { minLength: 1, maxLength: 3 }).chain((list) => fc.tuple(fc.constant(list), fc.nat()));
    await fc.assert(
      fc.asyncProperty(blocks, fc.nat(), async ([list], seed) => {
        const fetched = indexRecordBatches(await body(list, 0));
        expect(fetched).toBeDefined();
        const block = blockOf('t', 3, fetched!, 0);
        if (block === undefined) return;
        const records = block.toRecords();
        const spec = fc.sample(specs(records), { seed, numRuns: 1 })[0]!;
        const filter = compileFilter(spec);
        expect(filter === undefined).toBe(compileRecordFilter(spec) === undefined);
        if (filter === undefined) return;
        const expected = filterBatch(records, compileRecordFilter(spec)!);
        const actual = filterRun(block, filter);
        expect(actual.skippedThrough).toBe(expected.skippedThrough);
        if (expected.records.length === 0) {
          expect(actual.records).toEqual([]);
          return;
        }
        expect(actual.records).toBeInstanceOf(RecordBlock);
        const kept = actual.records as RecordBlock;
        expect(plain(kept.toRecords())).toEqual(plain(expected.records));
        expect(kept.eventRows !== undefined).toBe(expected.records.some((r) => r.event !== null));
        // The chosen rows encode as the same records would.
        if (kept.eventRows === undefined) {
          const fromBlock = new BlockReplies(kept, -1n);
          const fromObjects = new MeasuredReplies('binary');
          for (let i = 0; i < kept.length; i++) expect(fromBlock.size(i)).toBe(fromObjects.add(expected.records[i]!, false));
          expect(fromBlock.encodeBatch(0, kept.length)).toEqual(fromObjects.encodeBatch(0, kept.length));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('keeps a block whole when every record matches, and a filter on an event attribute header never matches an event', async () => {
    const records = Array.from({ length: 4 }, (_, i) => ({ key: Buffer.from(`u-${i}`), value: Buffer.from('v'), timestampDelta: i, headers: { ce_id: Buffer.from(`${i}`), ce_type: Buffer.from('order.paid'), region: Buffer.from('eu') } }));
    const buf = await body([{ records, firstOffset: 10n, firstTimestamp: 7, gzip: false, transactional: false, logAppendTime: false, control: false, producerId: -1n }], 0);
    const block = blockOf('t', 0, indexRecordBatches(buf)!, 0)!;
    const spec = (partial: Partial<RecordFilterSpec>): RecordFilterSpec => ({ eventType: undefined, eventTypePrefix: undefined, headers: new Map(), keyPrefix: undefined, ...partial });
    expect(filterRun(block, compileFilter(spec({ eventTypePrefix: 'order.', headers: new Map([['region', Buffer.from('eu')]]) }))!)).toEqual({ records: block, skippedThrough: undefined });
    expect(filterRun(block, compileFilter(spec({ headers: new Map([['ce_type', Buffer.from('order.paid')]]) }))!)).toEqual({ records: [], skippedThrough: 13n });
    const odd = filterRun(block, compileFilter(spec({ keyPrefix: Buffer.from('u-1') }))!);
    expect((odd.records as RecordBlock).toRecords().map((r) => r.offset)).toEqual([11n]);
    expect(odd.skippedThrough).toBe(13n);
  });

  it('a key prefix longer than the key does not match, whatever bytes follow the key', async () => {
    // Key "u", then the value's length (1, zigzag: 0x02): a prefix "u\x02" runs past the key into it.
    const records = [{ key: Buffer.from('u'), value: Buffer.from('v'), timestampDelta: 0, headers: {} }];
    const buf = await body([{ records, firstOffset: 0n, firstTimestamp: 7, gzip: false, transactional: false, logAppendTime: false, control: false, producerId: -1n }], 0);
    const block = blockOf('t', 0, indexRecordBatches(buf)!, 0)!;
    const spec: RecordFilterSpec = { eventType: undefined, eventTypePrefix: undefined, headers: new Map(), keyPrefix: Buffer.from([0x75, 0x02]) };
    expect(filterRun(block, compileFilter(spec)!)).toEqual({ records: [], skippedThrough: 0n });
    expect(filterRun(block, compileFilter({ ...spec, keyPrefix: Buffer.from('u') })!).records).toBe(block);
  });
});
