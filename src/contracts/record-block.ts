import { cloudEventOfHeaders } from './cloudevent-headers.ts';
import type { StoredRecord } from './records.ts';

/** Numbers per record in RecordBlock.columns. */
const STRIDE = 6;
const OFFSET = 0;
const TIMESTAMP = 1;
const KEY_START = 2;
const KEY_LENGTH = 3;
const VALUE_START = 4;
const VALUE_LENGTH = 5;

/** Numbers per record in RecordBlock.headerColumns: where its headers start and end in `bytes`. */
const HEADER_STRIDE = 2;
const HEADERS_START = 0;
const HEADERS_END = 1;

/** Shared by every record of a block without headers: never written to. */
const NO_HEADERS: ReadonlyMap<string, Uint8Array> = new Map();
const EMPTY = new Uint8Array(0);
const NAMES = new TextDecoder();

/**
 * A cursor over record bytes that reads zigzag varints (Kafka's record and
 * header encoding): shared by HeaderReader and the Kafka store's record batch
 * readers.
 */
export class ZigzagCursor<B extends Uint8Array = Uint8Array> {
  constructor(
    public buf: B,
    public pos = 0,
    public end = 0,
  ) {}

  varint(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      if (this.pos >= this.end) throw new RangeError('record batch: varint past the end of its record');
      byte = buf[this.pos++]!;
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80 && shift < 35);
    if (byte >= 0x80) throw new RangeError('record batch: varint longer than 5 bytes');
    return (result >>> 1) ^ -(result & 1);
  }
}

/**
 * Reads the headers in bytes[start, end), one per next(): a block's header
 * encoding, which is Kafka's (each header a zigzag varint length and the
 * name's bytes, then a zigzag varint length and the value's bytes, -1 for a
 * null value). A store makes blocks only of headers whose names are ASCII and
 * unique within their record. One reader serves any number of records
 * (reset()), so the encoder reads headers without allocating.
 */
export class HeaderReader extends ZigzagCursor {
  nameStart = 0;
  nameLength = 0;
  valueStart = 0;
  /** -1: a null value. */
  valueLength = 0;

  constructor() {
    super(EMPTY);
  }

  reset(bytes: Uint8Array, start: number, end: number): this {
    this.buf = bytes;
    this.pos = start;
    this.end = end;
    return this;
  }

  /** Moves to the next header; false when there is none. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    this.nameLength = this.varint();
    this.nameStart = this.pos;
    this.pos += this.nameLength;
    this.valueLength = this.varint();
    this.valueStart = this.pos;
    this.pos += Math.max(this.valueLength, 0);
    if (this.pos > this.end) throw new RangeError('record block: a header past the end of its record');
    return true;
  }
}

/**
 * Records of one partition as columns over one byte buffer: the receive
 * path's hot form. The gRPC encoder turns a block into replies without an
 * object per record (the per-record objects and their garbage were most of
 * the gateway's CPU per received record, docs/benchmarks.md); anything that
 * needs records as objects calls toRecords(), which gives the same records.
 *
 * A store makes blocks only of what they can describe: records whose offsets
 * and timestamps are exact as doubles (below 2^53) and whose header names are
 * ASCII and unique within their record (HeaderReader); a CloudEvent among
 * them is marked (eventRows). Everything else goes as StoredRecord objects.
 *
 * `columns` holds STRIDE numbers per record: offset, timestamp (ms since the
 * epoch), key start and length, value start and length in `bytes` (length -1:
 * null). `headerColumns`, when any record has headers, holds HEADER_STRIDE
 * numbers per record: where its headers start and end in `bytes` (equal: none).
 * A block is a view of records [start, start + length) of its columns; slices
 * share them.
 */
export class RecordBlock {
  static readonly STRIDE = STRIDE;
  static readonly HEADER_STRIDE = HEADER_STRIDE;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly bytes: Uint8Array,
    readonly columns: Float64Array,
    private readonly start: number,
    readonly length: number,
    /** Undefined when no record of the block has headers. */
    readonly headerColumns?: Float64Array,
    /**
     * 1 for a record that is a CloudEvent in binary mode (a `ce_id` header:
     * cloudevent-headers.ts); undefined when none is. A store marks only events
     * whose attribute and content type values are ASCII.
     */
    readonly eventRows?: Uint8Array,
  ) {
    if (length < 1) throw new RangeError('a record block holds at least one record');
  }

  /** Where record i's numbers start in `columns`. */
  at(i: number): number {
    return (this.start + i) * STRIDE;
  }

  /** Whether record i is a CloudEvent (its headers then carry the event's attributes). */
  isEvent(i: number): boolean {
    return this.eventRows !== undefined && this.eventRows[this.start + i] === 1;
  }

  /** Where record i's headers start in `bytes` (headersEnd(i) equal to it: it has none). */
  headersStart(i: number): number {
    const h = this.headerColumns;
    return h === undefined ? 0 : h[(this.start + i) * HEADER_STRIDE + HEADERS_START]!;
  }

  headersEnd(i: number): number {
    const h = this.headerColumns;
    return h === undefined ? 0 : h[(this.start + i) * HEADER_STRIDE + HEADERS_END]!;
  }

  offset(i: number): number {
    return this.columns[(this.start + i) * STRIDE + OFFSET]!;
  }

  get firstOffset(): bigint {
    return BigInt(this.offset(0));
  }

  get lastOffset(): bigint {
    return BigInt(this.offset(this.length - 1));
  }

  /** Records [from, to) as a block sharing these columns; undefined when empty. */
  slice(from: number, to = this.length): RecordBlock | undefined {
    if (to <= from) return undefined;
    return new RecordBlock(this.topic, this.partition, this.bytes, this.columns, this.start + from, to - from, this.headerColumns, this.eventRows);
  }

  /**
   * Records `rows[0, count)` (indices into this block, ascending) as a block
   * of their own: their columns copied, `bytes` shared; the block itself when
   * all are chosen, undefined when none is.
   */
  select(rows: ArrayLike<number>, count: number): RecordBlock | undefined {
    if (count === 0) return undefined;
    if (count === this.length) return this;
    const columns = new Float64Array(count * STRIDE);
    const from = this.headerColumns;
    const headerColumns = from === undefined ? undefined : new Float64Array(count * HEADER_STRIDE);
    let eventRows: Uint8Array | undefined;
    for (let k = 0; k < count; k++) {
      const row = this.start + rows[k]!;
      for (let n = 0; n < STRIDE; n++) columns[k * STRIDE + n] = this.columns[row * STRIDE + n]!;
      if (headerColumns !== undefined) {
        headerColumns[k * HEADER_STRIDE + HEADERS_START] = from![row * HEADER_STRIDE + HEADERS_START]!;
        headerColumns[k * HEADER_STRIDE + HEADERS_END] = from![row * HEADER_STRIDE + HEADERS_END]!;
      }
      // Flags only when an event is among them: a block without events may go out as it is in any format.
      if (this.eventRows?.[row] === 1) (eventRows ??= new Uint8Array(count))[k] = 1;
    }
    return new RecordBlock(this.topic, this.partition, this.bytes, columns, 0, count, headerColumns, eventRows);
  }

  /** The records after `offset`; the block itself when none is at or below it, undefined when none is left. */
  after(offset: bigint): RecordBlock | undefined {
    const limit = Number(offset);
    let first = 0;
    while (first < this.length && this.offset(first) <= limit) first++;
    return first === 0 ? this : this.slice(first);
  }

  /** Record i as a StoredRecord; its key, value and header values are views of `bytes`. */
  record(i: number): StoredRecord {
    const c = this.columns;
    const at = (this.start + i) * STRIDE;
    const value = this.view(c[at + VALUE_START]!, c[at + VALUE_LENGTH]!);
    const all = this.headers(i);
    const { event, headers } = this.isEvent(i) ? cloudEventOfHeaders(all, value) : { event: null, headers: all };
    return {
      topic: this.topic,
      partition: this.partition,
      offset: BigInt(c[at + OFFSET]!),
      timestamp: new Date(c[at + TIMESTAMP]!),
      key: this.view(c[at + KEY_START]!, c[at + KEY_LENGTH]!),
      value,
      event,
      headers,
    };
  }

  private headers(i: number): ReadonlyMap<string, Uint8Array> {
    const start = this.headersStart(i);
    const end = this.headersEnd(i);
    if (start === end) return NO_HEADERS;
    const headers = new Map<string, Uint8Array>();
    const reader = new HeaderReader().reset(this.bytes, start, end);
    while (reader.next()) {
      const name = NAMES.decode(this.bytes.subarray(reader.nameStart, reader.nameStart + reader.nameLength));
      headers.set(name, this.view(reader.valueStart, reader.valueLength) ?? EMPTY);
    }
    return headers;
  }

  toRecords(): StoredRecord[] {
    const records = new Array<StoredRecord>(this.length);
    for (let i = 0; i < this.length; i++) records[i] = this.record(i);
    return records;
  }

  private view(start: number, length: number): Uint8Array | null {
    if (length < 0) return null;
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + start, length);
  }
}

/** Column indexes within one record's STRIDE numbers (for encoders reading `columns` directly). */
export const RecordColumn = { OFFSET, TIMESTAMP, KEY_START, KEY_LENGTH, VALUE_START, VALUE_LENGTH } as const;

/** What a partition's reader pulls in one go: records as objects, or a block of them. */
export type RecordRun = readonly StoredRecord[] | RecordBlock;

/** The records of a run as objects (a block's are made here). */
export const runRecords = (run: RecordRun): readonly StoredRecord[] => (run instanceof RecordBlock ? run.toRecords() : run);

/** The offset of a run's last record; undefined when it is empty. */
export const lastOffsetOf = (run: RecordRun): bigint | undefined => (run instanceof RecordBlock ? run.lastOffset : run.at(-1)?.offset);
