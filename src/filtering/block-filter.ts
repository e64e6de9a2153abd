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
const CE_PREFIX = utf8(CLOUDEVENT_HEADER_PREFIX);
const CE_TYPE = utf8(`${CLOUDEVENT_HEADER_PREFIX}type`);
const CONTENT_TYPE = utf8(CONTENT_TYPE_HEADER);
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
    checks.push((block, i) => {
      const value = headerValue(block, i, nameBytes);
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

/** The place of record i's header `name` among the headers its record has (an event's attributes are not), or undefined. */
function headerValue(block: RecordBlock, i: number, name: Uint8Array): Place | undefined {
  const bytes = block.bytes;
  const event = block.isEvent(i);
  const h = reader.reset(bytes, block.headersStart(i), block.headersEnd(i));
  while (h.next()) {
    if (!bytesEqual(bytes, h.nameStart, h.nameLength, name)) continue;
    if (event && (startsWith(bytes, h.nameStart, h.nameLength, CE_PREFIX) || bytesEqual(bytes, h.nameStart, h.nameLength, CONTENT_TYPE))) return undefined;
    place.start = h.valueStart;
    place.length = Math.max(h.valueLength, 0);
    return place;
  }
  return undefined;
}

/** The place of event row i's type (`ce_type`; empty when absent, as cloudEventOfHeaders reads it). */
function eventTypeOf(block: RecordBlock, i: number): Place {
  const bytes = block.bytes;
  const h = reader.reset(bytes, block.headersStart(i), block.headersEnd(i));
  while (h.next()) {
    if (!bytesEqual(bytes, h.nameStart, h.nameLength, CE_TYPE)) continue;
    place.start = h.valueStart;
    place.length = Math.max(h.valueLength, 0);
    return place;
  }
  place.start = 0;
  place.length = 0;
  return place;
}

function bytesEqual(bytes: Uint8Array, start: number, length: number, expected: Uint8Array): boolean {
  return length === expected.length && startsWith(bytes, start, length, expected);
}

function startsWith(bytes: Uint8Array, start: number, length: number, prefix: Uint8Array): boolean {
  if (length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (bytes[start + k] !== prefix[k]) return false;
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

