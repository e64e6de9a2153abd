import {
  CLOUDEVENT_HEADER_PREFIX,
  CONTENT_TYPE_HEADER,
  HeaderReader,
  RecordColumn,
  SluiceError,
  type RecordBlock,
  type StoredRecord,
} from '../contracts/index.ts';
import { binaryModeHeaders, toStructuredCloudEvent } from './cloudevents-json.ts';
import { framedBuffer, MESSAGE_PREFIX, messagesBuffer } from './framed-messages.ts';
import type { ContentFormat } from './mappers.ts';

/**
 * Hand-written protobuf encoding of the record path's replies (ReceiveReply,
 * ReceiveBatchReply, PublishReply, PublishBatchReply), used as the
 * responseSerialize of those methods (src/grpc/service.ts).
 *
 * Why not protobufjs: its generic path builds a reply object per record, runs
 * `fromObject` over it and parses each offset from a decimal string into a
 * Long; at tens of thousands of records per second that and its garbage were
 * most of the gateway's own CPU (docs/benchmarks.md). Here each message is
 * sized first, then written once into one buffer; offsets go from bigint
 * straight to varints. The output is canonical proto3 (empty fields left
 * out), which every protobuf decoder reads; test/unit/encoding.test.ts checks
 * it against protobufjs decoding the same proto.
 */


const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const tag = (field: number, wire: number) => (field << 3) | wire;

// Field tags, precomputed (names follow proto/LiiklusService.proto).
const REPLY_RECORD = tag(1, WIRE_LEN);
const REPLY_EVENT_RECORD = tag(2, WIRE_LEN);
const REPLY_SKIPPED = tag(1000, WIRE_LEN);
const SKIPPED_OFFSET = tag(1, WIRE_VARINT);
const RECORD_OFFSET = tag(1, WIRE_VARINT);
const RECORD_KEY = tag(2, WIRE_LEN);
const RECORD_VALUE = tag(3, WIRE_LEN);
const RECORD_EVENT = tag(3, WIRE_LEN);
const RECORD_TIMESTAMP = tag(4, WIRE_LEN);
const RECORD_REPLAY = tag(5, WIRE_VARINT);
const RECORD_HEADERS = tag(1000, WIRE_LEN);
const TIMESTAMP_SECONDS = tag(1, WIRE_VARINT);
const TIMESTAMP_NANOS = tag(2, WIRE_VARINT);
const ENTRY_KEY = tag(1, WIRE_LEN);
const ENTRY_VALUE = tag(2, WIRE_LEN);
const EVENT_ID = tag(1, WIRE_LEN);
const EVENT_TYPE = tag(2, WIRE_LEN);
const EVENT_SOURCE = tag(3, WIRE_LEN);
const EVENT_TIME = tag(5, WIRE_LEN);
const EVENT_CONTENT_TYPE = tag(100, WIRE_LEN);
const EVENT_DATA = tag(101, WIRE_LEN);
const EVENT_EXTENSIONS = tag(200, WIRE_LEN);
const BATCH_REPLIES = tag(1, WIRE_LEN);
const PUBLISH_PARTITION = tag(1, WIRE_VARINT);
const PUBLISH_OFFSET = tag(2, WIRE_VARINT);
const PUBLISH_TOPIC = tag(3, WIRE_LEN);
const PUBLISH_BATCH_RESULTS = tag(1, WIRE_LEN);

const TWO_POW_64 = 1n << 64n;
const EMPTY = Buffer.alloc(0);

/** Bytes of a varint of a non-negative safe integer. */
function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 4;
  for (n = Math.floor(n / 0x10000000); n > 0; n = Math.floor(n / 0x80)) size++;
  return size;
}

/** A uint64 / int64 as a number when exact, else as the unsigned 64-bit bigint (two's complement for negatives). */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function varint64(value: bigint | number): number | bigint {
  if (typeof value === 'number') return value >= 0 ? value : BigInt.asUintN(64, BigInt(value));
  if (value >= 0n && value <= MAX_SAFE) return Number(value);
  return value < 0n ? value + TWO_POW_64 : value;
}

function varint64Size(value: number | bigint): number {
  if (typeof value === 'number') return varintSize(value);
  let size = 1;
  for (let v = value >> 7n; v > 0n; v >>= 7n) size++;
  return size;
}

/** A cursor over one preallocated buffer. */
class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(n: number): void {
    const buf = this.buf;
    let pos = this.pos;
    if (n <= 0x7fffffff) {
      // Int32 arithmetic for the common case; the division below for numbers up to 2^53.
      while (n > 0x7f) {
        buf[pos++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
    } else {
      while (n >= 0x80) {
        buf[pos++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  varint64(value: number | bigint): void {
    if (typeof value === 'number') return this.varint(value);
    let v = value;
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  bytes(field: number, bytes: Uint8Array): void {
    this.varint(field);
    this.varint(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  string(field: number, text: string, byteLength: number): void {
    this.varint(field);
    this.varint(byteLength);
    this.pos += this.buf.write(text, this.pos, byteLength, 'utf8');
  }
}

const lenField = (field: number, length: number) => varintSize(field) + varintSize(length) + length;
const strLen = (text: string) => Buffer.byteLength(text, 'utf8');

/** Seconds and nanos of a Timestamp message for `millis` (no object per record). */
const timestampSeconds = (millis: number) => Math.floor(millis / 1000);
const timestampNanos = (millis: number, seconds: number) => (millis - seconds * 1000) * 1_000_000;

function timestampSize(seconds: number, nanos: number): number {
  return (seconds !== 0 ? 1 + varint64Size(varint64(seconds)) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
}

/** Size of the fields shared by Record and LiiklusEventRecord, but for the key/value/event part. */
function commonSize(record: StoredRecord, replay: boolean, offset: number | bigint, tsSize: number): number {
  let size = 0;
  if (offset !== 0) size += 1 + varint64Size(offset);
  if (record.key !== null && record.key.length > 0) size += lenField(RECORD_KEY, record.key.length);
  size += lenField(RECORD_TIMESTAMP, tsSize);
  if (replay) size += 2;
  return size;
}

function headersSize(headers: ReadonlyMap<string, Uint8Array>): number {
  let size = 0;
  for (const [name, value] of headers) size += lenField(RECORD_HEADERS, entrySize(strLen(name), value.length));
  return size;
}

// Map entries carry both fields even when empty, as protoc and protobufjs
// write them: protobufjs decodes a missing bytes value as [] instead of an
// empty Buffer (seen with a null Kafka header value, which arrives empty).
const entrySize = (nameBytes: number, valueBytes: number) => lenField(ENTRY_KEY, nameBytes) + lenField(ENTRY_VALUE, valueBytes);

function eventSize(event: NonNullable<StoredRecord['event']>): number {
  let size = 0;
  if (event.id !== '') size += lenField(EVENT_ID, strLen(event.id));
  if (event.type !== '') size += lenField(EVENT_TYPE, strLen(event.type));
  if (event.source !== '') size += lenField(EVENT_SOURCE, strLen(event.source));
  if (event.time !== '') size += lenField(EVENT_TIME, strLen(event.time));
  if (event.dataContentType !== '') size += lenField(EVENT_CONTENT_TYPE, strLen(event.dataContentType));
  if (event.data.length > 0) size += lenField(EVENT_DATA, event.data.length);
  for (const [name, value] of Object.entries(event.extensions)) size += lenField(EVENT_EXTENSIONS, entrySize(strLen(name), strLen(value)));
  return size;
}

/** A record that format LIIKLUS_EVENT cannot carry. */
export class NotAnEventError extends SluiceError {
  constructor(readonly record: StoredRecord) {
    super(
      'FAILED_PRECONDITION',
      `format: the record at offset ${record.offset} of partition ${record.partition} is not an event; receive it with format BINARY`,
    );
  }
}

/**
 * An event record as a BINARY Record carries it: as a CloudEvents JSON
 * document (format BINARY, as Liiklus), or as its data with ce_* headers
 * (cloudevents_binary_mode). Plain records, and format LIIKLUS_EVENT, as they are.
 */
function asSent(record: StoredRecord, format: ContentFormat): StoredRecord {
  if (record.event === null || format === 'event') return record;
  if (format === 'binary') return { ...record, value: toStructuredCloudEvent(record.event) };
  const headers = new Map(record.headers);
  for (const [name, value] of Object.entries(binaryModeHeaders(record.event))) headers.set(name, value);
  return { ...record, value: record.event.data, headers };
}

/** Size of the inner Record / LiiklusEventRecord message. */
function innerSize(record: StoredRecord, format: ContentFormat, replay: boolean): number {
  const millis = record.timestamp.getTime();
  const seconds = timestampSeconds(millis);
  const nanos = timestampNanos(millis, seconds);
  const common = commonSize(record, replay, varint64(record.offset), timestampSize(seconds, nanos));
  if (format !== 'event') {
    const value = record.value !== null && record.value.length > 0 ? lenField(RECORD_VALUE, record.value.length) : 0;
    return common + value + headersSize(record.headers);
  }
  if (record.event === null) throw new NotAnEventError(record);
  return common + lenField(RECORD_EVENT, eventSize(record.event));
}

/** Encoded size of one ReceiveReply for `record`. */
export function receiveReplySize(record: StoredRecord, format: ContentFormat, replay: boolean): number {
  return lenField(REPLY_RECORD, innerSize(asSent(record, format), format, replay));
}

/** The Timestamp field of `millis` (tag, length, seconds, nanos). */
function writeTimestampField(w: Writer, millis: number): void {
  const seconds = timestampSeconds(millis);
  const nanos = timestampNanos(millis, seconds);
  w.varint(RECORD_TIMESTAMP);
  w.varint(timestampSize(seconds, nanos));
  if (seconds !== 0) {
    w.varint(TIMESTAMP_SECONDS);
    w.varint64(varint64(seconds));
  }
  if (nanos !== 0) {
    w.varint(TIMESTAMP_NANOS);
    w.varint(nanos);
  }
}

/**
 * The last Timestamp field written, and its size: the records of a batch
 * often share their millisecond (a producer stamps a whole send, or many
 * records per millisecond), and then the field is copied instead of computed.
 */
const lastTimestamp = { millis: NaN, field: Buffer.alloc(32), length: 0, sizeMillis: NaN, size: 0 };

/** Bytes of the Timestamp field of `millis` (tag and length included). */
function timestampFieldSize(millis: number): number {
  const last = lastTimestamp;
  if (millis !== last.sizeMillis) {
    const seconds = timestampSeconds(millis);
    last.size = lenField(RECORD_TIMESTAMP, timestampSize(seconds, timestampNanos(millis, seconds)));
    last.sizeMillis = millis;
  }
  return last.size;
}

/** A Record's timestamp field, and its replay flag when set (the fields every Record ends with, before headers). */
function writeTimestampAndReplay(w: Writer, millis: number, replay: boolean): void {
  const last = lastTimestamp;
  const buf = w.buf;
  if (millis === last.millis) {
    const field = last.field;
    let pos = w.pos;
    for (let i = 0; i < last.length; i++) buf[pos++] = field[i]!;
    w.pos = pos;
  } else {
    const start = w.pos;
    writeTimestampField(w, millis);
    const field = last.field;
    last.length = w.pos - start;
    for (let i = 0; i < last.length; i++) field[i] = buf[start + i]!;
    last.millis = millis;
  }
  if (replay) {
    buf[w.pos++] = RECORD_REPLAY;
    buf[w.pos++] = 1;
  }
}

function writeReply(w: Writer, record: StoredRecord, format: ContentFormat, replay: boolean, inner: number): void {
  w.varint(format !== 'event' ? REPLY_RECORD : REPLY_EVENT_RECORD);
  w.varint(inner);
  const offset = varint64(record.offset);
  if (offset !== 0) {
    w.varint(RECORD_OFFSET);
    w.varint64(offset);
  }
  if (record.key !== null && record.key.length > 0) w.bytes(RECORD_KEY, record.key);
  if (format !== 'event') {
    if (record.value !== null && record.value.length > 0) w.bytes(RECORD_VALUE, record.value);
  } else {
    const event = record.event!;
    w.varint(RECORD_EVENT);
    w.varint(eventSize(event));
    writeEvent(w, event);
  }
  writeTimestampAndReplay(w, record.timestamp.getTime(), replay);
  if (format !== 'event') {
    for (const [name, value] of record.headers) {
      const nameBytes = strLen(name);
      w.varint(RECORD_HEADERS);
      w.varint(entrySize(nameBytes, value.length));
      w.string(ENTRY_KEY, name, nameBytes);
      w.bytes(ENTRY_VALUE, value);
    }
  }
}

/** A string field, left out when empty (a module function: a closure per event cost an allocation each). */
function writeText(w: Writer, field: number, value: string): void {
  if (value !== '') w.string(field, value, strLen(value));
}

function writeEvent(w: Writer, event: NonNullable<StoredRecord['event']>): void {
  writeText(w, EVENT_ID, event.id);
  writeText(w, EVENT_TYPE, event.type);
  writeText(w, EVENT_SOURCE, event.source);
  writeText(w, EVENT_TIME, event.time);
  writeText(w, EVENT_CONTENT_TYPE, event.dataContentType);
  if (event.data.length > 0) w.bytes(EVENT_DATA, event.data);
  for (const [name, value] of Object.entries(event.extensions)) {
    const nameBytes = strLen(name);
    const valueBytes = strLen(value);
    w.varint(EVENT_EXTENSIONS);
    w.varint(entrySize(nameBytes, valueBytes));
    w.string(ENTRY_KEY, name, nameBytes);
    w.string(ENTRY_VALUE, value, valueBytes);
  }
}

/** One ReceiveReply message. */
export function encodeReceiveReply(stored: StoredRecord, format: ContentFormat, replay: boolean): Buffer {
  const record = asSent(stored, format);
  const inner = innerSize(record, format, replay);
  const w = new Writer(Buffer.allocUnsafe(lenField(REPLY_RECORD, inner)));
  writeReply(w, record, format, replay, inner);
  return w.buf;
}

/**
 * Replies measured one by one, then encoded in any of three shapes: one
 * ReceiveReply, one ReceiveBatchReply of several, or several ReceiveReply
 * messages back to back with their gRPC prefixes (one HTTP/2 write for many
 * per-record messages, src/grpc/framed-messages.ts).
 */
abstract class Replies {
  /** Size of reply i's inner Record message (reply i measured first). */
  protected abstract inner(i: number): number;
  /** Writes reply i (tag, length, inner message). */
  protected abstract write(w: Writer, i: number): void;

  /** Reply i as one ReceiveReply message. */
  encodeOne(i: number): Buffer {
    const w = new Writer(Buffer.allocUnsafe(lenField(REPLY_RECORD, this.inner(i))));
    this.write(w, i);
    return w.buf;
  }

  /** One ReceiveBatchReply of replies [from, to). */
  encodeBatch(from: number, to: number, allocate: (size: number) => Buffer = framedBuffer): Buffer {
    let total = 0;
    for (let i = from; i < to; i++) total += lenField(BATCH_REPLIES, lenField(REPLY_RECORD, this.inner(i)));
    const w = new Writer(allocate(total));
    for (let i = from; i < to; i++) {
      w.varint(BATCH_REPLIES);
      w.varint(lenField(REPLY_RECORD, this.inner(i)));
      this.write(w, i);
    }
    return w.buf;
  }

  /** Replies [from, to) as ReceiveReply messages back to back, each behind its gRPC prefix. */
  encodeMessages(from: number, to: number): Buffer {
    let total = 0;
    for (let i = from; i < to; i++) total += MESSAGE_PREFIX + lenField(REPLY_RECORD, this.inner(i));
    const w = new Writer(messagesBuffer(total));
    for (let i = from; i < to; i++) {
      w.buf[w.pos] = 0;
      w.buf.writeUInt32BE(lenField(REPLY_RECORD, this.inner(i)), w.pos + 1);
      w.pos += MESSAGE_PREFIX;
      this.write(w, i);
    }
    return w.buf;
  }
}

/**
 * The replies of one batch of records as objects, each measured once: kept
 * in the form it is sent in with its encoded size, so that bounding the
 * batch and encoding it never size (nor, for an event sent as BINARY,
 * serialize) a record twice.
 */
export class MeasuredReplies extends Replies {
  private readonly sent: StoredRecord[] = [];
  private readonly inners: number[] = [];
  private readonly replay: boolean[] = [];

  constructor(private readonly format: ContentFormat) {
    super();
  }

  get length(): number {
    return this.sent.length;
  }

  /** Measures the next record: the size of its ReceiveReply. Throws NotAnEventError when the format cannot carry it. */
  add(record: StoredRecord, replay: boolean): number {
    const sent = asSent(record, this.format);
    const inner = innerSize(sent, this.format, replay);
    this.sent.push(sent);
    this.inners.push(inner);
    this.replay.push(replay);
    return lenField(REPLY_RECORD, inner);
  }

  protected inner(i: number): number {
    return this.inners[i]!;
  }

  protected write(w: Writer, i: number): void {
    writeReply(w, this.sent[i]!, this.format, this.replay[i]!, this.inners[i]!);
  }
}

/** A ReceiveReply carrying only the `skipped` marker (filtered subscriptions). */
export function encodeSkippedReply(offset: bigint): Buffer {
  const value = varint64(offset);
  const inner = offset === 0n ? 0 : varintSize(SKIPPED_OFFSET) + varint64Size(value);
  const w = new Writer(Buffer.allocUnsafe(lenField(REPLY_SKIPPED, inner)));
  w.varint(REPLY_SKIPPED);
  w.varint(inner);
  if (inner > 0) {
    w.varint(SKIPPED_OFFSET);
    w.varint64(value);
  }
  return w.buf;
}

/** A ReceiveBatchReply whose one reply is the `skipped` marker. */
export function encodeSkippedBatchReply(offset: bigint): Buffer {
  const reply = encodeSkippedReply(offset);
  const w = new Writer(Buffer.allocUnsafe(lenField(BATCH_REPLIES, reply.length)));
  w.bytes(BATCH_REPLIES, reply);
  return w.buf;
}

/** Bytes a reply of `size` adds to a ReceiveBatchReply. */
export const batchEntrySize = (size: number) => lenField(BATCH_REPLIES, size);

export interface PublishResultFields {
  topic: string;
  partition: number;
  offset: bigint;
}

function publishReplySize(result: PublishResultFields, offset: number | bigint, topicBytes: number): number {
  return (
    (result.partition !== 0 ? 1 + varintSize(result.partition) : 0) +
    (offset !== 0 ? 1 + varint64Size(offset) : 0) +
    (topicBytes > 0 ? lenField(PUBLISH_TOPIC, topicBytes) : 0)
  );
}

function writePublishReply(w: Writer, result: PublishResultFields, offset: number | bigint, topic: Buffer): void {
  if (result.partition !== 0) {
    w.varint(PUBLISH_PARTITION);
    w.varint(result.partition);
  }
  if (offset !== 0) {
    w.varint(PUBLISH_OFFSET);
    w.varint64(offset);
  }
  if (topic.length > 0) w.bytes(PUBLISH_TOPIC, topic);
}

/** One PublishReply message. */
export function encodePublishReply(result: PublishResultFields): Buffer {
  const topic = Buffer.from(result.topic, 'utf8');
  const offset = varint64(result.offset);
  const w = new Writer(Buffer.allocUnsafe(publishReplySize(result, offset, topic.length)));
  writePublishReply(w, result, offset, topic);
  return w.buf;
}

/**
 * One PublishBatchReply message. A batch's results mostly share a topic: its
 * UTF-8 bytes are made once and copied into each result.
 */
export function encodePublishBatchReply(results: readonly PublishResultFields[]): Buffer {
  const offsets = new Array<number | bigint>(results.length);
  const sizes = new Array<number>(results.length);
  const topics = new Array<Buffer>(results.length);
  let topic: string | undefined;
  let topicBytes = EMPTY;
  let total = 0;
  for (let i = 0; i < results.length; i++) {
    const result = results[i]!;
    if (result.topic !== topic) {
      topic = result.topic;
      topicBytes = Buffer.from(topic, 'utf8');
    }
    const offset = varint64(result.offset);
    const size = publishReplySize(result, offset, topicBytes.length);
    offsets[i] = offset;
    sizes[i] = size;
    topics[i] = topicBytes;
    total += lenField(PUBLISH_BATCH_RESULTS, size);
  }
  const w = new Writer(Buffer.allocUnsafe(total));
  for (let i = 0; i < results.length; i++) {
    w.varint(PUBLISH_BATCH_RESULTS);
    w.varint(sizes[i]!);
    writePublishReply(w, results[i]!, offsets[i]!, topics[i]!);
  }
  return w.buf;
}

/** Size of the Record message of block row `at` (format BINARY or binary mode: a plain record is sent as it is). */
function blockInnerSize(c: Float64Array, at: number, replayThrough: number): number {
  const valueLength = c[at + RecordColumn.VALUE_LENGTH]!;
  return blockCommonSize(c, at, replayThrough) + (valueLength > 0 ? 1 + varintSize(valueLength) + valueLength : 0);
}

/** Size of the fields every Record and LiiklusEventRecord of a block row has: offset, key, timestamp, replay flag. */
function blockCommonSize(c: Float64Array, at: number, replayThrough: number): number {
  const offset = c[at + RecordColumn.OFFSET]!;
  const keyLength = c[at + RecordColumn.KEY_LENGTH]!;
  let size = timestampFieldSize(c[at + RecordColumn.TIMESTAMP]!);
  if (offset !== 0) size += 1 + varintSize(offset);
  if (keyLength > 0) size += 1 + varintSize(keyLength) + keyLength;
  if (offset <= replayThrough) size += 2;
  return size;
}

/** Writes a block row's reply tag and length, then its offset and key (the fields before its value or event). */
function writeBlockHead(w: Writer, tag: number, inner: number, bytes: Uint8Array, c: Float64Array, at: number): void {
  w.varint(tag);
  w.varint(inner);
  const offset = c[at + RecordColumn.OFFSET]!;
  if (offset !== 0) {
    w.varint(RECORD_OFFSET);
    w.varint(offset);
  }
  const keyLength = c[at + RecordColumn.KEY_LENGTH]!;
  if (keyLength > 0) {
    w.varint(RECORD_KEY);
    w.varint(keyLength);
    copyInto(w, bytes, c[at + RecordColumn.KEY_START]!, keyLength);
  }
}

/** Copies `length` bytes: a loop below a few dozen bytes, where a view plus a native copy costs more. */
function copyInto(w: Writer, from: Uint8Array, start: number, length: number): void {
  const buf = w.buf;
  let pos = w.pos;
  if (length <= 48) {
    for (let i = 0; i < length; i++) buf[pos++] = from[start + i]!;
  } else {
    buf.set(from.subarray(start, start + length), pos);
    pos += length;
  }
  w.pos = pos;
}

/** Reads a block's headers for the encoder: one for the process, as encoding never yields midway. */
const headerReader = new HeaderReader();

/** Size of the headers map entries of a block row whose headers are bytes[start, end). */
function blockHeadersSize(bytes: Uint8Array, start: number, end: number): number {
  let size = 0;
  const h = headerReader.reset(bytes, start, end);
  while (h.next()) size += lenField(RECORD_HEADERS, entrySize(h.nameLength, Math.max(h.valueLength, 0)));
  return size;
}

/** Writes the headers map entries of a block row, as writeReply writes a record's (a null value as an empty one). */
function writeBlockHeaders(w: Writer, bytes: Uint8Array, start: number, end: number): void {
  const h = headerReader.reset(bytes, start, end);
  while (h.next()) {
    const valueLength = Math.max(h.valueLength, 0);
    w.varint(RECORD_HEADERS);
    w.varint(entrySize(h.nameLength, valueLength));
    w.varint(ENTRY_KEY);
    w.varint(h.nameLength);
    copyInto(w, bytes, h.nameStart, h.nameLength);
    w.varint(ENTRY_VALUE);
    w.varint(valueLength);
    copyInto(w, bytes, h.valueStart, valueLength);
  }
}

function writeBlockReply(w: Writer, bytes: Uint8Array, c: Float64Array, at: number, replayThrough: number, inner: number): void {
  writeBlockHead(w, REPLY_RECORD, inner, bytes, c, at);
  const offset = c[at + RecordColumn.OFFSET]!;
  const valueLength = c[at + RecordColumn.VALUE_LENGTH]!;
  if (valueLength > 0) {
    w.varint(RECORD_VALUE);
    w.varint(valueLength);
    copyInto(w, bytes, c[at + RecordColumn.VALUE_START]!, valueLength);
  }
  writeTimestampAndReplay(w, c[at + RecordColumn.TIMESTAMP]!, offset <= replayThrough);
}

/** What a header of an event row is to its LiiklusEvent: one of its own fields, an extension, or neither. */
const enum EventHeader {
  Other,
  Id,
  Type,
  Source,
  Time,
  SpecVersion,
  ContentType,
  Extension,
}

const ascii = (text: string) => Buffer.from(text, 'latin1');
const CE_PREFIX = ascii(CLOUDEVENT_HEADER_PREFIX);
const CONTENT_TYPE = ascii(CONTENT_TYPE_HEADER);
/** The own attributes by name after the prefix (EVENT_FIELDS says where each is written; specversion is implied). */
const OWN_ATTRIBUTES: Array<[Buffer, EventHeader]> = [
  [ascii('id'), EventHeader.Id],
  [ascii('type'), EventHeader.Type],
  [ascii('source'), EventHeader.Source],
  [ascii('time'), EventHeader.Time],
  [ascii('specversion'), EventHeader.SpecVersion],
];

function bytesEqual(bytes: Uint8Array, start: number, length: number, expected: Buffer): boolean {
  if (length !== expected.length) return false;
  for (let i = 0; i < length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

/** Classifies the header the reader is at (an event row's: cloudevent-headers.ts). */
function eventHeader(bytes: Uint8Array, h: HeaderReader): EventHeader {
  const { nameStart, nameLength } = h;
  if (bytesEqual(bytes, nameStart, nameLength, CONTENT_TYPE)) return EventHeader.ContentType;
  if (nameLength < CE_PREFIX.length || !bytesEqual(bytes, nameStart, CE_PREFIX.length, CE_PREFIX)) return EventHeader.Other;
  const start = nameStart + CE_PREFIX.length;
  const length = nameLength - CE_PREFIX.length;
  for (const [name, kind] of OWN_ATTRIBUTES) if (bytesEqual(bytes, start, length, name)) return kind;
  return EventHeader.Extension;
}

/** Where an event row's own attributes lie in the block's bytes (start, length; length 0: absent or empty), by EventHeader. */
const eventAttributes = new Float64Array(2 * (EventHeader.ContentType + 1));
/** The fields an event row's own attributes are written to, in LiiklusEvent's order, with their EventHeader. */
const EVENT_FIELDS: Array<[EventHeader, number]> = [
  [EventHeader.Id, EVENT_ID],
  [EventHeader.Type, EVENT_TYPE],
  [EventHeader.Source, EVENT_SOURCE],
  [EventHeader.Time, EVENT_TIME],
  [EventHeader.ContentType, EVENT_CONTENT_TYPE],
];

/**
 * Size of the LiiklusEvent of an event row, as writeEvent writes the event
 * fromKafkaMessage makes of it: own attributes and content type as text
 * (ASCII here: a store marks no other event), the value as data, the other
 * `ce_*` headers as extensions in their order. Leaves the attributes' places
 * in eventAttributes for writeBlockEvent.
 */
function blockEventSize(bytes: Uint8Array, headersStart: number, headersEnd: number, valueLength: number): number {
  eventAttributes.fill(0);
  let size = 0;
  const h = headerReader.reset(bytes, headersStart, headersEnd);
  while (h.next()) {
    const kind = eventHeader(bytes, h);
    if (kind === EventHeader.Other || kind === EventHeader.SpecVersion) continue;
    const length = Math.max(h.valueLength, 0);
    if (kind === EventHeader.Extension) {
      size += lenField(EVENT_EXTENSIONS, entrySize(h.nameLength - CE_PREFIX.length, length));
    } else {
      eventAttributes[2 * kind] = h.valueStart;
      eventAttributes[2 * kind + 1] = length;
    }
  }
  for (const [kind, field] of EVENT_FIELDS) {
    const length = eventAttributes[2 * kind + 1]!;
    if (length > 0) size += lenField(field, length);
  }
  if (valueLength > 0) size += lenField(EVENT_DATA, valueLength);
  return size;
}

function writeBlockEvent(w: Writer, bytes: Uint8Array, headersStart: number, headersEnd: number, valueStart: number, valueLength: number): void {
  blockEventSize(bytes, headersStart, headersEnd, valueLength);
  for (const [kind, field] of EVENT_FIELDS) {
    const length = eventAttributes[2 * kind + 1]!;
    if (length === 0) continue;
    w.varint(field);
    w.varint(length);
    copyInto(w, bytes, eventAttributes[2 * kind]!, length);
  }
  if (valueLength > 0) {
    w.varint(EVENT_DATA);
    w.varint(valueLength);
    copyInto(w, bytes, valueStart, valueLength);
  }
  const h = headerReader.reset(bytes, headersStart, headersEnd);
  while (h.next()) {
    if (eventHeader(bytes, h) !== EventHeader.Extension) continue;
    const nameLength = h.nameLength - CE_PREFIX.length;
    const valueBytes = Math.max(h.valueLength, 0);
    w.varint(EVENT_EXTENSIONS);
    w.varint(entrySize(nameLength, valueBytes));
    w.varint(ENTRY_KEY);
    w.varint(nameLength);
    copyInto(w, bytes, h.nameStart + CE_PREFIX.length, nameLength);
    w.varint(ENTRY_VALUE);
    w.varint(valueBytes);
    copyInto(w, bytes, h.valueStart, valueBytes);
  }
}

/** Size of the LiiklusEventRecord of an event row whose event is `eventSize` bytes. */
function blockEventInnerSize(c: Float64Array, at: number, replayThrough: number, eventSize: number): number {
  return blockCommonSize(c, at, replayThrough) + lenField(RECORD_EVENT, eventSize);
}

/**
 * The replies of a RecordBlock, written straight from its columns (no
 * object per record), for formats that send a plain record as it is
 * (BINARY, cloudevents binary mode) and, for a block's CloudEvents, as
 * LiiklusEvent (format LIIKLUS_EVENT): the same bytes MeasuredReplies writes
 * for the block's records (test/unit/record-columns.test.ts). Each record is
 * measured once, by size(i), before it is encoded.
 */
export class BlockReplies extends Replies {
  private readonly inners: Int32Array;
  /** For format LIIKLUS_EVENT: the size of each record's event. */
  private readonly events: Int32Array | undefined;
  private readonly replayThrough: number;

  constructor(
    readonly block: RecordBlock,
    replayThrough: bigint,
    /** 'event': LiiklusEventRecord replies (format LIIKLUS_EVENT) of a block's CloudEvents. */
    format: 'binary' | 'event' = 'binary',
  ) {
    super();
    this.inners = new Int32Array(block.length);
    this.events = format === 'event' ? new Int32Array(block.length) : undefined;
    this.replayThrough = Number(replayThrough);
  }

  /** The size of record i's ReceiveReply; for format LIIKLUS_EVENT, throws NotAnEventError for a record that is no event. */
  size(i: number): number {
    const block = this.block;
    const at = block.at(i);
    let inner: number;
    if (this.events !== undefined) {
      if (!block.isEvent(i)) throw new NotAnEventError(block.record(i));
      const event = blockEventSize(block.bytes, block.headersStart(i), block.headersEnd(i), block.columns[at + RecordColumn.VALUE_LENGTH]!);
      this.events[i] = event;
      inner = blockEventInnerSize(block.columns, at, this.replayThrough, event);
    } else {
      inner = blockInnerSize(block.columns, at, this.replayThrough);
      if (block.headerColumns !== undefined) {
        const start = block.headersStart(i);
        const end = block.headersEnd(i);
        if (end > start) inner += blockHeadersSize(block.bytes, start, end);
      }
    }
    this.inners[i] = inner;
    return lenField(REPLY_RECORD, inner);
  }

  protected inner(i: number): number {
    return this.inners[i]!;
  }

  protected write(w: Writer, i: number): void {
    const block = this.block;
    if (this.events !== undefined) {
      this.writeEventReply(w, i);
      return;
    }
    writeBlockReply(w, block.bytes, block.columns, block.at(i), this.replayThrough, this.inners[i]!);
    if (block.headerColumns !== undefined) {
      const start = block.headersStart(i);
      const end = block.headersEnd(i);
      if (end > start) writeBlockHeaders(w, block.bytes, start, end);
    }
  }

  /** A LiiklusEventRecord reply, as writeReply writes one for format 'event'. */
  private writeEventReply(w: Writer, i: number): void {
    const { bytes, columns: c } = this.block;
    const at = this.block.at(i);
    writeBlockHead(w, REPLY_EVENT_RECORD, this.inners[i]!, bytes, c, at);
    const offset = c[at + RecordColumn.OFFSET]!;
    w.varint(RECORD_EVENT);
    w.varint(this.events![i]!);
    writeBlockEvent(w, bytes, this.block.headersStart(i), this.block.headersEnd(i), c[at + RecordColumn.VALUE_START]!, c[at + RecordColumn.VALUE_LENGTH]!);
    writeTimestampAndReplay(w, c[at + RecordColumn.TIMESTAMP]!, offset <= this.replayThrough);
  }
}
