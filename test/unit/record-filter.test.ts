import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/contracts/index.ts';
import { compileRecordFilter, filterBatch, type RecordFilterSpec } from '../../src/filtering/index.ts';
import { bytes } from '../support/records.ts';

function record(offset: number, options: { type?: string; key?: string; headers?: Record<string, string> } = {}): StoredRecord {
  return {
    topic: 't',
    partition: 0,
    offset: BigInt(offset),
    timestamp: new Date(0),
    key: options.key === undefined ? null : bytes(options.key),
    value: bytes('v'),
    event: options.type === undefined ? null : { id: 'i', type: options.type, source: 's', time: '', dataContentType: '', data: bytes('v'), extensions: {} },
    headers: new Map(Object.entries(options.headers ?? {}).map(([k, v]) => [k, bytes(v)])),
  };
}

const spec = (partial: Partial<RecordFilterSpec>): RecordFilterSpec => ({ eventType: undefined, eventTypePrefix: undefined, headers: new Map(), keyPrefix: undefined, ...partial });

describe('record filters', () => {
  it('an empty filter compiles to nothing, so unfiltered subscriptions pay nothing', () => {
    expect(compileRecordFilter(spec({}))).toBeUndefined();
  });

  it('combines event type, prefix, headers and key prefix with AND', () => {
    const matches = compileRecordFilter(spec({ eventTypePrefix: 'order.', headers: new Map([['region', bytes('eu')]]), keyPrefix: bytes('u-') }))!;
    expect(matches(record(0, { type: 'order.paid', key: 'u-1', headers: { region: 'eu' } }))).toBe(true);
    expect(matches(record(0, { type: 'invoice.sent', key: 'u-1', headers: { region: 'eu' } }))).toBe(false);
    expect(matches(record(0, { type: 'order.paid', key: 'x-1', headers: { region: 'eu' } }))).toBe(false);
    expect(matches(record(0, { type: 'order.paid', key: 'u-1', headers: { region: 'eux' } }))).toBe(false);
    expect(matches(record(0, { type: 'order.paid', headers: { region: 'eu' } }))).toBe(false);
    const exact = compileRecordFilter(spec({ eventType: 'order.paid' }))!;
    expect(exact(record(0, { type: 'order.paid' }))).toBe(true);
    expect(exact(record(0, { type: 'order.paid.v2' }))).toBe(false);
    expect(exact(record(0))).toBe(false);
  });

  it('marks how far a batch was skipped only when it ends with records filtered out', () => {
    const even = (r: StoredRecord) => r.offset % 2n === 0n;
    expect(filterBatch([0, 1, 2].map((o) => record(o)), even)).toMatchObject({ skippedThrough: undefined });
    const tail = filterBatch([0, 1, 2, 3, 5].map((o) => record(o)), even);
    expect(tail.records.map((r) => r.offset)).toEqual([0n, 2n]);
    expect(tail.skippedThrough).toBe(5n);
    expect(filterBatch([1, 3].map((o) => record(o)), even)).toEqual({ records: [], skippedThrough: 3n });
  });
});
