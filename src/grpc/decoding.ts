import type { LiiklusEventMessage, PublishBatchRequest, PublishRequest } from './messages.ts';

/**
 * Hand-written protobuf decoding of the publish path's requests
 * (PublishRequest, PublishBatchRequest), used as the requestDeserialize of
 * Publish and PublishBatch (src/grpc/proto.ts).
 *
 * Why not protobufjs: its generic path decodes each record into a message
 * object, then `toObject` copies it into a second object, allocating a fresh
 * empty Buffer for every bytes default on the way (two per record before
 * the decoded ones replace them), and decodes every record's topic anew; in
 * the PublishBatch profile that and its garbage were the largest part of the
 * gateway's CPU before Kafka. Here each record is one object whose key and
 * value are views of the received message (protobufjs's were views too), and
 * a topic equal to the previous record's is that same string.
 *
 * It reads what protobufjs 7 reads, the way it reads it, so that no request
 * is taken differently: fields are matched by number whatever their wire type,
 * the last occurrence of a field wins (an embedded message is replaced, not
 * merged), a string running past its message is cut at the message's end, a
 * bytes field is not, unknown fields are skipped by wire type (groups too, to
 * protobufjs's nesting limit), and the output has the shape @grpc/proto-loader
 * gives with LOADER_OPTIONS (src/grpc/messages.ts): every field present,
 * absent ones empty. One difference: a headers entry without a value gets an
 * empty Buffer, where protobufjs gives an empty array, which is not bytes and
 * which the store could not write. test/unit/publish-decoding.test.ts checks
 * all of it against protobufjs on random requests, malformed ones included.
 */

/** protobufjs's recursion limit (protoc's default). */
const RECURSION_LIMIT = 100;
const WIRE_END_GROUP = 4;

const EMPTY: Buffer = Buffer.alloc(0);
/** The headers of a record without any: shared, never written to. */
const NO_HEADERS: Record<string, Buffer> = Object.freeze({}) as Record<string, Buffer>;
const NO_EXTENSIONS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** A malformed request: grpc-js answers INTERNAL, "Error deserializing request", as it does for protobufjs's errors. */
export class RequestDecodingError extends RangeError {}

/** A cursor over one received message; `end` is the end of the message being read (protobufjs's `len`). */
class Reader {
  pos = 0;
  end: number;
  /** The topic of the previous record, and where its bytes are, to reuse it for the next record with the same bytes. */
  private lastTopic = '';
  private lastTopicStart = 0;
  private lastTopicLength = -1;

  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** A varint as an unsigned 32-bit number, as protobufjs reads tags and lengths (bits past 32 dropped, up to 10 bytes). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.end) throw this.outOfRange(1);
    let b = buf[pos++]!;
    let value = b & 0x7f;
    if (b < 0x80) {
      this.pos = pos;
      return value;
    }
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= this.end) throw this.outOfRange(1);
      b = buf[pos++]!;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    if (pos >= this.end) throw this.outOfRange(1);
    b = buf[pos++]!;
    value = (value | ((b & 0x0f) << 28)) >>> 0;
    // protobufjs skips the 5 bytes a 64-bit varint may still have, unread.
    if (b >= 0x80 && (pos += 5) > this.end) {
      this.pos = this.end;
      throw this.outOfRange(10);
    }
    this.pos = pos;
    return value;
  }

  /** A bytes field: a view of the message (the shared empty Buffer when empty). */
  bytes(): Buffer {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.end) throw this.outOfRange(length);
    this.pos = end;
    return length === 0 ? EMPTY : this.buf.subarray(start, end);
  }

  /** A string field, cut at the end of its message when it claims more (as protobufjs). */
  string(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = Math.min(start + length, this.end);
    this.pos = end;
    return this.buf.toString('utf8', start, end);
  }

  /** A record's topic: the previous record's string when the bytes are the same (a batch's records mostly share one). */
  topic(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = Math.min(start + length, this.end);
    this.pos = end;
    if (end - start === this.lastTopicLength && sameBytes(this.buf, start, this.lastTopicStart, this.lastTopicLength)) return this.lastTopic;
    this.lastTopic = this.buf.toString('utf8', start, end);
    this.lastTopicStart = start;
    this.lastTopicLength = end - start;
    return this.lastTopic;
  }

  /** Where an embedded message of the length that comes next ends; reading is bounded to it until `leave`. */
  enter(): { end: number; outer: number } {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw this.outOfRange(length);
    const outer = this.end;
    this.end = end;
    return { end, outer };
  }

  leave(scope: { end: number; outer: number }): void {
    if (this.pos !== scope.end) throw this.outOfRange(1);
    this.end = scope.outer;
  }

  skip(length: number): void {
    if (this.pos + length > this.end) throw this.outOfRange(length);
    this.pos += length;
  }

  /** Skips an unknown field of wire type `wire`, as protobufjs's skipType. */
  skipType(wire: number, depth: number): void {
    if (depth > RECURSION_LIMIT) throw new RequestDecodingError('maximum nesting depth exceeded');
    switch (wire) {
      case 0:
        do {
          if (this.pos >= this.end) throw this.outOfRange(1);
        } while (this.buf[this.pos++]! & 0x80);
        return;
      case 1:
        return this.skip(8);
      case 2:
        return this.skip(this.uint32());
      case 3:
        for (let inner = this.uint32() & 7; inner !== WIRE_END_GROUP; inner = this.uint32() & 7) this.skipType(inner, depth + 1);
        return;
      case 5:
        return this.skip(4);
      default:
        throw new RequestDecodingError(`invalid wire type ${wire} at offset ${this.pos}`);
    }
  }

  private outOfRange(length: number): RequestDecodingError {
    return new RequestDecodingError(`index out of range: ${this.pos} + ${length} > ${this.end}`);
  }
}

function sameBytes(buf: Buffer, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Sets `into[name]`, as an own property even for `__proto__` (as protobufjs does). */
function setEntry<V>(into: Record<string, V>, name: string, value: V): void {
  if (name === '__proto__') Object.defineProperty(into, name, { value, enumerable: true, configurable: true, writable: true });
  else into[name] = value;
}

/** A map entry { key = 1; value = 2 } of the map being read into `into`. */
function readEntry<V>(r: Reader, depth: number, into: Record<string, V>, readValue: (r: Reader) => V, empty: V): void {
  const scope = r.enter();
  let name = '';
  let value = empty;
  while (r.pos < scope.end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) name = r.string();
    else if (field === 2) value = readValue(r);
    else r.skipType(tag & 7, depth);
  }
  r.leave(scope);
  setEntry(into, name, value);
}

const readBytes = (r: Reader) => r.bytes();
const readString = (r: Reader) => r.string();

function readEvent(r: Reader, depth: number): LiiklusEventMessage {
  if (depth > RECURSION_LIMIT) throw new RequestDecodingError('maximum nesting depth exceeded');
  const scope = r.enter();
  let extensions = NO_EXTENSIONS;
  let id = '';
  let type = '';
  let source = '';
  let time = '';
  let dataContentType = '';
  let data = EMPTY;
  while (r.pos < scope.end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        id = r.string();
        break;
      case 2:
        type = r.string();
        break;
      case 3:
        source = r.string();
        break;
      case 5:
        time = r.string();
        break;
      case 100:
        dataContentType = r.string();
        break;
      case 101:
        data = r.bytes();
        break;
      case 200:
        if (extensions === NO_EXTENSIONS) extensions = {};
        readEntry(r, depth, extensions, readString, '');
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  r.leave(scope);
  return { extensions, id, type, source, time, dataContentType, data };
}

/** The fields of a PublishRequest spanning [r.pos, r.end), at nesting depth `depth`. */
function readPublishRequest(r: Reader, depth: number): PublishRequest {
  let headers = NO_HEADERS;
  let topic = '';
  let key = EMPTY;
  let value = EMPTY;
  let event: LiiklusEventMessage | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        topic = r.topic();
        break;
      case 2:
        key = r.bytes();
        break;
      case 3:
        value = r.bytes();
        break;
      case 4:
        event = readEvent(r, depth + 1);
        break;
      case 1000:
        if (headers === NO_HEADERS) headers = {};
        readEntry(r, depth, headers, readBytes, EMPTY);
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  const request: PublishRequest = { headers, topic, key, value };
  if (event !== undefined) {
    request.liiklusEvent = event;
    request.event = 'liiklusEvent';
  }
  return request;
}

/** Decodes one PublishRequest message (Publish). */
export function decodePublishRequest(message: Buffer): PublishRequest {
  return readPublishRequest(new Reader(message), 0);
}

/** Decodes one PublishBatchRequest message { repeated PublishRequest records = 1 } (PublishBatch). */
export function decodePublishBatchRequest(message: Buffer): PublishBatchRequest {
  const r = new Reader(message);
  const records: PublishRequest[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag >>> 3 !== 1) {
      r.skipType(tag & 7, 0);
      continue;
    }
    const scope = r.enter();
    records.push(readPublishRequest(r, 1));
    r.leave(scope);
  }
  return { records };
}
