import type { StoredRecord } from '../contracts/index.ts';

/** What a filtered subscription asked for; every condition set must hold. */
export interface RecordFilterSpec {
  eventType: string | undefined;
  eventTypePrefix: string | undefined;
  headers: ReadonlyMap<string, Uint8Array>;
  keyPrefix: Uint8Array | undefined;
}

export type RecordPredicate = (record: StoredRecord) => boolean;

/**
 * One predicate for a filter, with only the conditions it sets, or undefined
 * when it sets none (an unfiltered subscription pays nothing per record).
 */
export function compileRecordFilter(spec: RecordFilterSpec): RecordPredicate | undefined {
  const checks: RecordPredicate[] = [];
  const { eventType, eventTypePrefix, keyPrefix } = spec;
  if (eventType !== undefined) checks.push((record) => record.event?.type === eventType);
  if (eventTypePrefix !== undefined) checks.push((record) => record.event?.type.startsWith(eventTypePrefix) === true);
  for (const [name, expected] of spec.headers) {
    checks.push((record) => {
      const actual = record.headers.get(name);
      return actual !== undefined && actual !== null && bytesEqual(actual, expected);
    });
  }
  if (keyPrefix !== undefined) checks.push((record) => record.key !== null && startsWith(record.key, keyPrefix));
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (record) => checks.every((check) => check(record));
}

export interface FilteredBatch<R extends StoredRecord> {
  /** The records that match, in order. */
  records: R[];
  /**
   * Set when the batch ends with records filtered out: the offset of the last
   * one. The consumer may ack it once it has handled `records`.
   */
  skippedThrough: bigint | undefined;
}

/** Splits a batch pulled from the store into what is sent and how far the tail was skipped. */
export function filterBatch<R extends StoredRecord>(batch: readonly R[], matches: RecordPredicate): FilteredBatch<R> {
  const records: R[] = [];
  let skippedThrough: bigint | undefined;
  for (const record of batch) {
    if (matches(record)) {
      records.push(record);
      skippedThrough = undefined;
    } else {
      skippedThrough = record.offset;
    }
  }
  return { records, skippedThrough };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWith(a, b);
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}
