import type { ConsumedRecord, LiiklusEvent } from './types.ts';

/**
 * Hand-written protobuf decoding of ReceiveReply and ReceiveBatchReply
 * straight into ConsumedRecord, used as the deserializer of the client's
 * Receive and ReceiveBatch calls.
 *
 * Why not the generated (protobufjs) decoder: it builds a reply object, a
 * record object and a timestamp object per record, turns every uint64 into a
 * decimal string that the client then parses into a bigint, and copies maps
 * entry by entry; in the receive benchmark that was most of the client's CPU
 * and capped what a consumer got from ReceiveBatch (docs/benchmarks.md).
 * Here a record is one object whose key, value and header values are views
 * of the received message (no copy). Unknown fields are skipped, as any
 * protobuf decoder does, so a newer gateway's additions do not break it;
 * test/unit/decoding.test.ts checks it against protobufjs on the same bytes.
 */

/** Records up to `offset` were filtered out by the gateway (ReceiveReply.skipped): acked, never handed over. */
export interface SkipMark {
  offset: bigint;
  skipped: true;
}

export type DecodedReply = ConsumedRecord | SkipMark;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const EMPTY: Buffer = Buffer.alloc(0);

/** A malformed message: the stream fails with it (the gateway sent something no decoder could read). */
export class WireFormatError extends Error {
  constructor(what: string) {
    super(`malformed ReceiveReply: ${what}`);
    this.name = 'WireFormatError';
  }
}

/** A cursor over one received message. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint of at most 53 bits, as a number (field tags, lengths, small values). */
  varint(): number {
    const buf = this.buf;
    if (this.pos >= this.end) throw new WireFormatError('truncated varint');
    let b = buf[this.pos++]!;
    if (b < 0x80) return b;
    let value = b & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint');
      b = buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }

  /** A uint64 varint, exact: as a number while it is safe, else rebuilt as a bigint. */
  uint64(): bigint {
    const start = this.pos;
    const value = this.varint();
    if (value <= Number.MAX_SAFE_INTEGER) return BigInt(value);
    let exact = 0n;
    for (let i = this.pos - 1; i >= start; i--) exact = (exact << 7n) | BigInt(this.buf[i]! & 0x7f);
    return BigInt.asUintN(64, exact);
  }

  /** An int64 varint (Timestamp.seconds) as a number; two's complement negatives come back negative. */
  int64(): number {
    const start = this.pos;
    const value = this.varint();
    if (value <= Number.MAX_SAFE_INTEGER) return value;
    let exact = 0n;
    for (let i = this.pos - 1; i >= start; i--) exact = (exact << 7n) | BigInt(this.buf[i]! & 0x7f);
    return Number(BigInt.asIntN(64, exact));
  }

  /** The end of a length-delimited field whose length comes next. */
  lengthEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new WireFormatError('a field runs past the end of its message');
    return end;
  }

  bytes(): Buffer {
    const end = this.lengthEnd();
    const view = end === this.pos ? EMPTY : this.buf.subarray(this.pos, end);
    this.pos = end;
    return view;
  }

  string(): string {
    const end = this.lengthEnd();
    const text = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return text;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.pos += 8;
        break;
      case WIRE_LEN:
        this.pos = this.lengthEnd();
        return;
      case WIRE_I32:
        this.pos += 4;
        break;
      default:
        throw new WireFormatError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new WireFormatError('truncated fixed-width field');
  }
}

/** A nested message must end exactly where its length said. */
function atEnd(r: Reader, end: number): void {
  if (r.pos !== end) throw new WireFormatError('a field runs past the end of its enclosing message');
}

/** Timestamp { seconds = 1; nanos = 2 } as a Date. */
function readTimestamp(r: Reader, end: number): Date {
  let seconds = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 0x08) seconds = r.int64();
    else if (tag === 0x10) nanos = r.varint() | 0;
    else r.skip(tag & 7);
  }
  atEnd(r, end);
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
}

/** One map entry { key = 1; value = 2 } into `into`, the value read by `value`. */
function readEntry<V>(r: Reader, end: number, into: Record<string, V>, value: (r: Reader) => V, empty: V): void {
  let name = '';
  let entry = empty;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 0x0a) name = r.string();
    else if (tag === 0x12) entry = value(r);
    else r.skip(tag & 7);
  }
  atEnd(r, end);
  into[name] = entry;
}

const readBytes = (r: Reader) => r.bytes();
const readString = (r: Reader) => r.string();

function readEvent(r: Reader, end: number): LiiklusEvent {
  const event: LiiklusEvent = { id: '', type: '', source: '', time: '', dataContentType: '', data: EMPTY, extensions: {} };
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case 0x0a: // id = 1
        event.id = r.string();
        break;
      case 0x12: // type = 2
        event.type = r.string();
        break;
      case 0x1a: // source = 3
        event.source = r.string();
        break;
      case 0x2a: // time = 5
        event.time = r.string();
        break;
      case 0x322: // data_content_type = 100
        event.dataContentType = r.string();
        break;
      case 0x32a: // data = 101
        event.data = r.bytes();
        break;
      case 0x642: // extensions = 200
        readEntry(r, r.lengthEnd(), event.extensions, readString, '');
        break;
      default:
        r.skip(tag & 7);
    }
  }
  atEnd(r, end);
  return event;
}

/** ReceiveReply.Record (`event` false) or ReceiveReply.LiiklusEventRecord (`event` true). */
function readRecord(r: Reader, end: number, topic: string, partition: number, isEvent: boolean): ConsumedRecord {
  let offset = 0n;
  let key = EMPTY;
  let value = EMPTY;
  let timestamp: Date | null = null;
  let replay = false;
  const headers: Record<string, Buffer> = {};
  let event: LiiklusEvent | null = null;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case 0x08: // offset = 1
        offset = r.uint64();
        break;
      case 0x12: // key = 2
        key = r.bytes();
        break;
      case 0x1a: // value = 3 (Record) or event = 3 (LiiklusEventRecord)
        if (isEvent) event = readEvent(r, r.lengthEnd());
        else value = r.bytes();
        break;
      case 0x22: // timestamp = 4
        timestamp = readTimestamp(r, r.lengthEnd());
        break;
      case 0x28: // replay = 5
        replay = r.varint() !== 0;
        break;
      case 0x1f42: // headers = 1000
        if (!isEvent) {
          readEntry(r, r.lengthEnd(), headers, readBytes, EMPTY);
          break;
        }
        r.skip(WIRE_LEN);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  atEnd(r, end);
  if (isEvent) value = event?.data ?? EMPTY;
  return { topic, partition, offset, key, value, headers, timestamp, replay, event };
}

/** SkippedRecords { offset = 1 }. */
function readSkipped(r: Reader, end: number): SkipMark {
  let offset = 0n;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 0x08) offset = r.uint64();
    else r.skip(tag & 7);
  }
  atEnd(r, end);
  return { offset, skipped: true };
}

/** The reply of one ReceiveReply spanning [r.pos, end); undefined when it carries none (a newer gateway's kind). */
function readReply(r: Reader, end: number, topic: string, partition: number): DecodedReply | undefined {
  let reply: DecodedReply | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 0x0a) reply = readRecord(r, r.lengthEnd(), topic, partition, false);
    else if (tag === 0x12) reply = readRecord(r, r.lengthEnd(), topic, partition, true);
    else if (tag === 0x1f42) reply = readSkipped(r, r.lengthEnd());
    else r.skip(tag & 7);
  }
  atEnd(r, end);
  return reply;
}

/** Decodes one ReceiveReply message. */
export function decodeReceiveReply(message: Buffer, topic: string, partition: number): DecodedReply[] {
  const r = new Reader(message, 0, message.length);
  const reply = readReply(r, message.length, topic, partition);
  return reply === undefined ? [] : [reply];
}

/** Decodes one ReceiveBatchReply message { repeated ReceiveReply replies = 1 }, in order. */
export function decodeReceiveBatchReply(message: Buffer, topic: string, partition: number): DecodedReply[] {
  const r = new Reader(message, 0, message.length);
  const replies: DecodedReply[] = [];
  while (r.pos < message.length) {
    const tag = r.varint();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    const reply = readReply(r, r.lengthEnd(), topic, partition);
    if (reply !== undefined) replies.push(reply);
  }
  return replies;
}
