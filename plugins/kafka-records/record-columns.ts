import { CLOUDEVENT_HEADER_PREFIX, CLOUDEVENT_ID_HEADER, CONTENT_TYPE_HEADER, RecordBlock, ZigzagCursor } from '../../src/contracts/index.ts';

/**
 * One partition's record batches from a fetch response, indexed in place:
 * where each record's key and value lie, its offset and timestamp, as
 * numbers in one Float64Array (RecordBlock's layout), without an object per
 * record. The receive path copies the bytes once and hands them on as a
 * RecordBlock (partition-source.ts), which the gRPC encoder turns into
 * replies.
 *
 * Only what a block can carry is indexed: uncompressed record batches (magic
 * 2) with offsets and timestamps below 2^53, whose header names are ASCII,
 * unique within their record and not `ce_id` (a CloudEvent, which the object
 * path maps: cloudevents.ts); compressed batches are first inflated:
 * inflateRecordBatches().
 * For anything else indexRecordBatches() returns undefined and the driver
 * decodes the records as objects, as before (record-batches.ts).
 */
export interface FetchedColumns {
  /** The partition's record batches (a view of the fetch response: copy what is kept). */
  readonly bytes: Buffer;
  /** RecordBlock.STRIDE numbers per row; positions are into `bytes`. */
  readonly columns: Float64Array;
  /** Rows, control records included. */
  readonly rows: number;
  /** The first row to read: those before it are below the offset the fetch asked for (a record batch comes whole). */
  readonly firstRow: number;
  /** 1 for a row that is a control record (transaction marker); undefined when there is none. */
  readonly control: Uint8Array | undefined;
  /** RecordBlock.HEADER_STRIDE numbers per row (where its headers start and end in `bytes`); undefined when no row has headers. */
  readonly headers: Float64Array | undefined;
  /** 1 for a row that is a CloudEvent (RecordBlock.eventRows); undefined when none is. */
  readonly events?: Uint8Array | undefined;
}

const STRIDE = RecordBlock.STRIDE;
const HEADER_STRIDE = RecordBlock.HEADER_STRIDE;
/** The headers of a binary-mode CloudEvent (src/contracts/cloudevent-headers.ts), as bytes. */
const CE_ID = Buffer.from(CLOUDEVENT_ID_HEADER);
const CE_PREFIX = Buffer.from(CLOUDEVENT_HEADER_PREFIX);
const CE_PROTO = Buffer.from(`${CLOUDEVENT_HEADER_PREFIX}__proto__`);
const CONTENT_TYPE = Buffer.from(CONTENT_TYPE_HEADER);
/** Bytes before a batch's length field (base offset) and of the length field. */
const LOG_OVERHEAD = 12;
/** Bytes of a record batch's header after its length field. */
const BATCH_HEADER = 49;
const MAGIC_AT = 16;
const COMPRESSION_MASK = 0x7;
const LOG_APPEND_TIME_FLAG = 0x8;
const CONTROL_FLAG = 0x20;
const TWO_POW_32 = 2 ** 32;
/** Past this a base offset plus an int32 delta may not be exact as a double. */
const EXACT = 2 ** 53 - 2 ** 32;
/** The largest time a Date holds, in ms. */
const MAX_DATE = 8.64e15;

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

/** A big-endian int64 at `at` as a number, or Unsupported when it is not exact (or negative, for offsets). */
function int64(buf: Buffer, at: number, allowNegative: boolean): number {
  const high = buf.readInt32BE(at);
  const low = buf.readUInt32BE(at + 4);
  const value = high * TWO_POW_32 + low;
  if (value >= EXACT || value <= -EXACT || (!allowNegative && value < 0)) throw UNSUPPORTED;
  return value;
}

/** The indexer's cursor: varlongs only as numbers, fields skipped rather than read. */
class Cursor extends ZigzagCursor<Buffer> {
  /** A zigzag varlong of at most 7 bytes (a timestamp delta of up to 2^48 ms); longer is Unsupported. */
  varlong(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    let byte: number;
    do {
      if (this.pos >= this.end) throw new RangeError('record batch: varlong past the end of its record');
      byte = buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80 && scale < 2 ** 49);
    if (byte >= 0x80) throw UNSUPPORTED;
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  /** Skips a length-prefixed field; returns its length (-1: null). */
  skip(): number {
    const length = this.varint();
    if (length < -1) throw new RangeError('record batch: negative length');
    if (length > 0) {
      this.pos += length;
      if (this.pos > this.end) throw new RangeError('record batch: a field past the end of its record');
    }
    return length;
  }
}

/**
 * Checks `count` headers from the cursor to the end of its record and says
 * whether they make it a CloudEvent (a `ce_id` header). Unsupported unless
 * every name is ASCII (the object path decodes names as UTF-8, so other bytes
 * may not come out as they went in) and none occurs twice (the object path
 * keeps the last; a block sends each); for an event, also unless the values of
 * its `ce_*` and `content-type` headers are ASCII (the object path decodes
 * them as text) and no extension name starts with a digit or is `__proto__`
 * (the object path's extensions object reorders or drops those).
 */
function checkHeaders(cursor: Cursor, count: number): boolean {
  try {
    return checkEachHeader(cursor, count);
  } catch (err) {
    // A malformed header: the object path decides what becomes of it, as before blocks carried headers.
    if (err instanceof RangeError) throw UNSUPPORTED;
    throw err;
  }
}

const startsWith = (buf: Buffer, start: number, length: number, prefix: Buffer): boolean =>
  length >= prefix.length && buf.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
const isAscii = (buf: Buffer, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
  return true;
};

function checkEachHeader(cursor: Cursor, count: number): boolean {
  const buf = cursor.buf;
  const names: number[] = [];
  let event = false;
  // Whether the record could be carried if it is an event (known only once every header is read).
  let eventCarriable = true;
  for (let h = 0; h < count; h++) {
    const nameLength = cursor.varint();
    if (nameLength < 0) throw UNSUPPORTED;
    const nameStart = cursor.pos;
    cursor.pos += nameLength;
    if (cursor.pos > cursor.end) throw UNSUPPORTED;
    if (!isAscii(buf, nameStart, cursor.pos)) throw UNSUPPORTED;
    for (let n = 0; n < names.length; n += 2) {
      if (names[n + 1] === nameLength && buf.compare(buf, names[n]!, names[n]! + nameLength, nameStart, cursor.pos) === 0) throw UNSUPPORTED;
    }
    names.push(nameStart, nameLength);
    const isAttribute = startsWith(buf, nameStart, nameLength, CE_PREFIX);
    if (nameLength === CE_ID.length && startsWith(buf, nameStart, nameLength, CE_ID)) event = true;
    const valueLength = cursor.skip();
    if (isAttribute || (nameLength === CONTENT_TYPE.length && startsWith(buf, nameStart, nameLength, CONTENT_TYPE))) {
      if (valueLength > 0 && !isAscii(buf, cursor.pos - valueLength, cursor.pos)) eventCarriable = false;
      if (isAttribute) {
        const first = nameLength > CE_PREFIX.length ? buf[nameStart + CE_PREFIX.length]! : 0;
        if (first >= 0x30 && first <= 0x39) eventCarriable = false;
        if (nameLength === CE_PROTO.length && startsWith(buf, nameStart, nameLength, CE_PROTO)) eventCarriable = false;
      }
    }
  }
  if (cursor.pos !== cursor.end) throw UNSUPPORTED;
  if (event && !eventCarriable) throw UNSUPPORTED;
  return event;
}

/** Counts the rows of the complete batches in `buf`; Unsupported for what a block cannot carry. */
function countRows(buf: Buffer): number {
  let rows = 0;
  for (let at = 0; buf.length - at >= LOG_OVERHEAD + BATCH_HEADER; ) {
    const length = buf.readInt32BE(at + 8);
    const end = at + LOG_OVERHEAD + length;
    // A batch cut off by the fetch's size limit ends the partition's records (as kafkajs).
    if (end > buf.length) break;
    if (length < BATCH_HEADER) throw new RangeError(`record batch: length ${length} is shorter than a batch header`);
    if (buf.readInt8(at + MAGIC_AT) !== 2) throw UNSUPPORTED;
    const attributes = buf.readInt16BE(at + LOG_OVERHEAD + 9);
    const count = buf.readInt32BE(at + LOG_OVERHEAD + 45);
    if (count > 0 && (attributes & COMPRESSION_MASK) !== 0) throw UNSUPPORTED;
    if (count > 0) rows += count;
    at = end;
  }
  return rows;
}

/**
 * The record batches of `buf` with every compressed batch decompressed in
 * place of its records (its header kept, with its length and compression
 * bits rewritten): bytes indexRecordBatches() can index, so compressed
 * records go on as blocks too. Undefined when no batch is compressed (there
 * is nothing to gain). A batch cut off by the fetch's size limit is left
 * out, as the indexer leaves it. The CRC is not rewritten: nothing reads it
 * after this.
 */
export async function inflateRecordBatches(buf: Buffer, decompress: (attributes: number, records: Buffer) => Promise<Buffer>): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let compressed = false;
  for (let at = 0; buf.length - at >= LOG_OVERHEAD + BATCH_HEADER; ) {
    const length = buf.readInt32BE(at + 8);
    const end = at + LOG_OVERHEAD + length;
    if (end > buf.length) break;
    if (length < BATCH_HEADER) throw new RangeError(`record batch: length ${length} is shorter than a batch header`);
    const header = at + LOG_OVERHEAD;
    const attributes = buf.readInt16BE(header + 9);
    const count = buf.readInt32BE(header + 45);
    if (buf.readInt8(at + MAGIC_AT) !== 2 || count <= 0 || (attributes & COMPRESSION_MASK) === 0) {
      parts.push(buf.subarray(at, end));
    } else {
      compressed = true;
      const records = await decompress(attributes, buf.subarray(header + BATCH_HEADER, end));
      const head = Buffer.from(buf.subarray(at, header + BATCH_HEADER));
      head.writeInt32BE(BATCH_HEADER + records.length, 8);
      head.writeInt16BE(attributes & ~COMPRESSION_MASK, LOG_OVERHEAD + 9);
      parts.push(head, records);
    }
    at = end;
  }
  return compressed ? Buffer.concat(parts) : undefined;
}

/**
 * The records of one partition's record batches as columns, or undefined
 * when a block cannot carry them (compression, headers, legacy message
 * sets, offsets or timestamps past 2^53): the caller decodes those as objects.
 * Throws RangeError on a malformed batch, as the object decoder does.
 */
export function indexRecordBatches(buf: Buffer): FetchedColumns | undefined {
  if (buf.length <= MAGIC_AT) return undefined;
  try {
    const total = countRows(buf);
    const columns = new Float64Array(total * STRIDE);
    let control: Uint8Array | undefined;
    let headers: Float64Array | undefined;
    let events: Uint8Array | undefined;
    const cursor = new Cursor(buf);
    let row = 0;
    for (let at = 0; buf.length - at >= LOG_OVERHEAD + BATCH_HEADER; ) {
      const length = buf.readInt32BE(at + 8);
      const end = at + LOG_OVERHEAD + length;
      if (end > buf.length) break;
      const header = at + LOG_OVERHEAD;
      const count = buf.readInt32BE(header + 45);
      if (count > 0) {
        const baseOffset = int64(buf, at, false);
        const attributes = buf.readInt16BE(header + 9);
        const appendTime = (attributes & LOG_APPEND_TIME_FLAG) !== 0;
        const firstTimestamp = int64(buf, header + 15, true);
        const maxTimestamp = int64(buf, header + 23, true);
        const isControl = (attributes & CONTROL_FLAG) !== 0;
        if (isControl) control ??= new Uint8Array(total);
        cursor.pos = header + BATCH_HEADER;
        for (let i = 0; i < count; i++) {
          cursor.end = end;
          const recordLength = cursor.varint();
          const recordEnd = cursor.pos + recordLength;
          if (recordLength < 1 || recordEnd > end) throw new RangeError('record batch: a record past the end of its batch');
          cursor.end = recordEnd;
          cursor.pos++; // attributes
          const timestampDelta = cursor.varlong();
          const offsetDelta = cursor.varint();
          const keyLength = cursor.skip();
          const keyEnd = cursor.pos;
          const valueLength = cursor.skip();
          const valueEnd = cursor.pos;
          const headerCount = cursor.varint();
          if (headerCount !== 0 && !isControl) {
            if (headerCount < 0) throw UNSUPPORTED;
            const headersStart = cursor.pos;
            if (checkHeaders(cursor, headerCount)) {
              events ??= new Uint8Array(total);
              events[row] = 1;
            }
            headers ??= new Float64Array(total * HEADER_STRIDE);
            headers[row * HEADER_STRIDE] = headersStart;
            headers[row * HEADER_STRIDE + 1] = recordEnd;
          }
          const timestamp = appendTime ? maxTimestamp : firstTimestamp + timestampDelta;
          // Past what a Date holds: the object path keeps today's handling of such a record.
          if (timestamp > MAX_DATE || timestamp < -MAX_DATE) throw UNSUPPORTED;
          const c = row * STRIDE;
          columns[c] = baseOffset + offsetDelta;
          columns[c + 1] = timestamp;
          columns[c + 2] = keyEnd - Math.max(keyLength, 0);
          columns[c + 3] = keyLength;
          columns[c + 4] = valueEnd - Math.max(valueLength, 0);
          columns[c + 5] = valueLength;
          if (isControl) control![row] = 1;
          row++;
          cursor.pos = recordEnd;
        }
      }
      at = end;
    }
    return { bytes: buf, columns, rows: row, firstRow: 0, control, headers, events };
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

/**
 * Rows [from, rows) that are not control records as a RecordBlock; undefined
 * when none is left. The block is a view of the fetch response when its
 * records take up at least a third of the response (it then pins at most
 * three times its own bytes), or an eighth when it goes straight to a waiting
 * reader (`inPlace`: it is encoded and let go at once), else a copy of its own: a few records of
 * a slow partition must not keep a whole 8 MiB response alive. Receiving four partitions of 1 KiB
 * records, fetches returned two partitions of 4 MiB each, and the copy was
 * 6.5 % of the gateway's main thread, plus the garbage of a fresh 4 MiB
 * buffer per partition and fetch.
 */
export function blockOf(topic: string, partition: number, fetched: FetchedColumns, from: number, inPlace = false): RecordBlock | undefined {
  const { columns, control, bytes, rows, headers, events } = fetched;
  let kept = 0;
  let start = Infinity;
  let end = 0;
  for (let row = from; row < rows; row++) {
    if (control !== undefined && control[row] === 1) continue;
    const c = row * STRIDE;
    kept++;
    start = Math.min(start, columns[c + 2]!);
    end = Math.max(end, columns[c + 4]! + Math.max(columns[c + 5]!, 0));
    if (headers !== undefined) end = Math.max(end, headers[row * HEADER_STRIDE + 1]!);
  }
  if (kept === 0) return undefined;
  const region = bytes.subarray(start, end);
  const share = region.byteLength / bytes.buffer.byteLength;
  const own = share >= 1 / 3 || (inPlace && share >= 1 / 8) ? region : new Uint8Array(region);
  const out = new Float64Array(kept * STRIDE);
  const outHeaders = headers === undefined ? undefined : new Float64Array(kept * HEADER_STRIDE);
  const outEvents = events === undefined ? undefined : new Uint8Array(kept);
  // n: the row's place in the block.
  for (let row = from, n = 0; row < rows; row++) {
    if (control !== undefined && control[row] === 1) continue;
    const c = row * STRIDE;
    const o = n * STRIDE;
    out[o] = columns[c]!;
    out[o + 1] = columns[c + 1]!;
    out[o + 2] = columns[c + 2]! - start;
    out[o + 3] = columns[c + 3]!;
    out[o + 4] = columns[c + 4]! - start;
    out[o + 5] = columns[c + 5]!;
    if (outEvents !== undefined) outEvents[n] = events![row]!;
    const h = row * HEADER_STRIDE;
    // A row without headers keeps 0, 0 (none), whatever `start` is.
    if (outHeaders !== undefined && headers![h + 1]! > headers![h]!) {
      outHeaders[n * HEADER_STRIDE] = headers![h]! - start;
      outHeaders[n * HEADER_STRIDE + 1] = headers![h + 1]! - start;
    }
    n++;
  }
  return new RecordBlock(topic, partition, own, out, 0, kept, outHeaders, outEvents);
}
