import { CLOUDEVENT_HEADER_PREFIX, CONTENT_TYPE_HEADER, HeaderReader, RecordBlock, RecordColumn, type RecordRun } from '../contracts/index.ts';
import { compileRecordFilter, filterBatch, type RecordFilterSpec, type RecordPredicate } from './record-filter.ts';

/** Whether record i of a block matches: read from its columns and bytes, no object made. */
export type RowPredicate = (block: RecordBlock, i: number) => boolean;

/** A subscription's filter, for records as objects and for records in blocks: the same answer for the same record. */
export interface CompiledFilter {
  matches: RecordPredicate;
  matchesRow: RowPredicate;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const CE_TYPE = utf8(`${CLOUDEVENT_HEADER_PREFIX}type`);
/** Reads a row's headers; one for the process, as filtering never yields midway. */
const reader = new HeaderReader();

/**
 * A row predicate giving what compileRecordFilter's predicate gives for the
 * row's record (block.record(i)), undefined when the filter sets no
 * condition. It relies on what a block guarantees (record-block.ts): header
 * names ASCII and unique within their record, an event's attribute values
 * ASCII. So names and texts compare as their UTF-8 bytes; an event's own
 * attributes and content type are not among its headers, as in
 * cloudEventOfHeaders; a null value reads as empty, as in record().
 */
export function compileRowFilter(spec: RecordFilterSpec): RowPredicate | undefined {
  const checks: RowPredicate[] = [];
  const { eventType, eventTypePrefix, keyPrefix } = spec;
  if (eventType !== undefined) {
    const expected = utf8(eventType);
    checks.push((block, i) => {
      const type = block.isEvent(i) ? eventTypeOf(block, i) : undefined;
      return type !== undefined && bytesEqual(block.bytes, type.start, type.length, expected);
    });
  }
  if (eventTypePrefix !== undefined) {
    const prefix = utf8(eventTypePrefix);
    checks.push((block, i) => {
      const type = block.isEvent(i) ? eventTypeOf(block, i) : undefined;
      return type !== undefined && type.length >= prefix.length && bytesEqual(block.bytes, type.start, prefix.length, prefix);
    });
  }
  for (const [name, expected] of spec.headers) {
    const nameBytes = utf8(name);
    // An event's own attributes and content type are not among its headers (cloudEventOfHeaders).
    const eventAttribute = name.startsWith(CLOUDEVENT_HEADER_PREFIX) || name === CONTENT_TYPE_HEADER;
    checks.push((block, i) => {
      if (eventAttribute && block.isEvent(i)) return false;
      const value = findHeader(block, i, nameBytes);
      return value !== undefined && bytesEqual(block.bytes, value.start, value.length, expected);
    });
  }
  if (keyPrefix !== undefined) {
    checks.push((block, i) => {
      const at = block.at(i);
      const length = block.columns[at + RecordColumn.KEY_LENGTH]!;
      return length >= keyPrefix.length && bytesEqual(block.bytes, block.columns[at + RecordColumn.KEY_START]!, keyPrefix.length, keyPrefix);
    });
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (block, i) => checks.every((check) => check(block, i));
}

/** Where a value lies in a block's bytes (length 0 for a null or empty one). */
interface Place {
  start: number;
  length: number;
}

const place: Place = { start: 0, length: 0 };

/** The place of record i's header `name`, or undefined. */
function findHeader(block: RecordBlock, i: number, name: Uint8Array): Place | undefined {
  const bytes = block.bytes;
  const h = reader.reset(bytes, block.headersStart(i), block.headersEnd(i));
  while (h.next()) {
    if (!bytesEqual(bytes, h.nameStart, h.nameLength, name)) continue;
    place.start = h.valueStart;
    place.length = Math.max(h.valueLength, 0);
    return place;
  }
  return undefined;
}

const NO_TYPE: Place = { start: 0, length: 0 };

/** The place of event row i's type (`ce_type`; empty when absent, as cloudEventOfHeaders reads it). */
const eventTypeOf = (block: RecordBlock, i: number): Place => findHeader(block, i, CE_TYPE) ?? NO_TYPE;

/** Whether bytes[start, start + length) are `expected`. */
function bytesEqual(bytes: Uint8Array, start: number, length: number, expected: Uint8Array): boolean {
  if (length !== expected.length) return false;
  for (let k = 0; k < length; k++) if (bytes[start + k] !== expected[k]) return false;
  return true;
}

/** A filter for both forms of records; undefined when it sets no condition. */
export function compileFilter(spec: RecordFilterSpec): CompiledFilter | undefined {
  const matches = compileRecordFilter(spec);
  const matchesRow = compileRowFilter(spec);
  return matches === undefined || matchesRow === undefined ? undefined : { matches, matchesRow };
}

/** filterBatch for a run of either form: a block's matching records stay a block (no object per record). */
export function filterRun(run: RecordRun, filter: CompiledFilter): { records: RecordRun; skippedThrough: bigint | undefined } {
  if (!(run instanceof RecordBlock)) return filterBatch(run, filter.matches);
  const kept = new Int32Array(run.length);
  let count = 0;
  for (let i = 0; i < run.length; i++) if (filter.matchesRow(run, i)) kept[count++] = i;
  // As filterBatch: set only when the run ends with records filtered out.
  const last = run.length - 1;
  const skippedThrough = count > 0 && kept[count - 1] === last ? undefined : BigInt(run.offset(last));
  return { records: run.select(kept, count) ?? [], skippedThrough };
}

