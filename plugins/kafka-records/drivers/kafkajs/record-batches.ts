import { createRequire } from 'node:module';
import { ZigzagCursor } from '../../../../src/contracts/index.ts';
import { indexRecordBatches, inflateRecordBatches } from '../../record-columns.ts';
import { kafkajsVersionMismatch, type Installation } from './kafkajs-version.ts';
import { inRawFetch, RawMessages } from './raw-messages.ts';

/**
 * A faster decoder of the record batches in a kafkajs fetch response, in
 * place of kafkajs's own (`protocol/requests/fetch/v4/decodeMessages.js`,
 * which every fetch version from 4 on uses). It returns the same messages,
 * field for field (test/unit/kafkajs-record-batches.test.ts checks it against
 * kafkajs's decoder on random batches), without kafkajs's per-record costs:
 * a Decoder object and a Buffer slice per record, 64-bit arithmetic through
 * its BigInt-backed Long with a string parsed and printed per offset and per
 * timestamp, and headers rebuilt by spreading an object per header.
 *
 * Why it is worth a module of our own: in isolation kafkajs decoded a fetch
 * of 100 B records at about 1.5 µs per record, the largest single part of the
 * gateway's CPU per received record. kafkajs 2.2.4 is its last release (2023),
 * so the module replaced here does not move; installKafkajsRecordBatches()
 * leaves kafkajs's decoder in place on any other version.
 */

const require = createRequire(import.meta.url);

const MODULE = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';

type KafkajsDecoder = { buffer: Buffer; offset: number; readInt32(): number; canReadBytes(n: number): boolean; readBytes(n: number): Buffer };

const MAGIC_OFFSET = 16;
const MAGIC_BYTE = 2;
/** Bytes of a record batch's header after its length field. */
const BATCH_HEADER = 49;
const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const COMPRESSION_CODEC_MASK = 0x7;
/** kafkajs's TimestampTypes. */
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;
/** Below this a batch's first offset plus any int32 delta stays an exact double. */
const EXACT = 2 ** 53 - 2 ** 32;

interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

export interface KafkajsMessage {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
  batchContext: BatchContext;
}

class PartialBatch extends Error {}

/** A cursor over one buffer: Kafka's zigzag varints, kafkajs's semantics for nulls. */
class Reader extends ZigzagCursor<Buffer> {
  /** A zigzag varlong as a bigint when it does not fit a double exactly, else as a number. */
  varlong(): number | bigint {
    let result = 0;
    let scale = 1;
    let byte: number;
    const start = this.pos;
    do {
      if (this.pos >= this.end) throw new RangeError('record batch: varlong past the end of its record');
      byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80 && scale < 2 ** 49);
    if (byte < 0x80) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    // More than 7 bytes: exact 64-bit arithmetic.
    this.pos = start;
    let big = 0n;
    let bigShift = 0n;
    do {
      if (this.pos >= this.end) throw new RangeError('record batch: varlong past the end of its record');
      if (bigShift > 63n) throw new RangeError('record batch: varlong longer than 10 bytes');
      byte = this.buf[this.pos++]!;
      big |= BigInt(byte & 0x7f) << bigShift;
      bigShift += 7n;
    } while (byte >= 0x80);
    big = BigInt.asUintN(64, big);
    return BigInt.asIntN(64, (big >> 1n) ^ -(big & 1n));
  }

  bytes(): Buffer | null {
    const start = this.span('bytes');
    return start === -1 ? null : this.buf.subarray(start, this.pos);
  }

  string(): string | null {
    const start = this.span('string');
    return start === -1 ? null : this.buf.toString('utf8', start, this.pos);
  }

  /** Reads a length and moves past that many bytes: where they start, -1 for a null. */
  private span(what: string): number {
    const length = this.varint();
    if (length === -1) return -1;
    const start = this.pos;
    this.pos += length;
    if (length < 0 || this.pos > this.end) throw new RangeError(`record batch: ${what} past the end of its record`);
    return start;
  }
}

const add = (base: bigint, baseNumber: number, delta: number | bigint): string =>
  typeof delta === 'number' && baseNumber < EXACT && baseNumber > -EXACT && Math.abs(delta) < 2 ** 32
    ? String(baseNumber + delta)
    : String(BigInt.asIntN(64, base + BigInt(delta)));

function decodeHeaders(reader: Reader): KafkajsMessage['headers'] {
  const count = reader.varint();
  const headers: KafkajsMessage['headers'] = {};
  for (let i = 0; i < count; i++) {
    const key = String(reader.string());
    const value = reader.bytes();
    const existing = Object.prototype.hasOwnProperty.call(headers, key) ? headers[key] : undefined;
    const next = existing === undefined ? value : Array.isArray(existing) ? existing.concat([value]) : [existing, value];
    // An own property even for "__proto__", as kafkajs's object spread makes it. Any other name is
    // assigned: defineProperty on every header turned the object into a slow dictionary, and with
    // five CloudEvent headers per record it was 18 % of the gateway's main thread.
    if (key === '__proto__') Object.defineProperty(headers, key, { value: next, enumerable: true, writable: true, configurable: true });
    else headers[key] = next;
  }
  return headers;
}

function decodeRecords(reader: Reader, count: number, context: BatchContext, out: KafkajsMessage[]): void {
  const firstOffset = BigInt(context.firstOffset);
  const firstOffsetNumber = Number(firstOffset);
  const firstTimestamp = BigInt(context.firstTimestamp);
  const firstTimestampNumber = Number(firstTimestamp);
  const appendTime = context.timestampType === LOG_APPEND_TIME && context.maxTimestamp !== '';
  const batchEnd = reader.end;
  for (let i = 0; i < count; i++) {
    reader.end = batchEnd;
    const length = reader.varint();
    const end = reader.pos + length;
    if (length < 1 || end > batchEnd) throw new RangeError('record batch: a record past the end of its batch');
    // The record's fields are read within its own length (as kafkajs reads them from its slice).
    reader.end = end;
    const attributes = reader.buf.readInt8(reader.pos++);
    const timestampDelta = reader.varlong();
    const timestamp = appendTime ? context.maxTimestamp : add(firstTimestamp, firstTimestampNumber, timestampDelta);
    const offset = add(firstOffset, firstOffsetNumber, reader.varint());
    const key = reader.bytes();
    const value = reader.bytes();
    const headers = decodeHeaders(reader);
    reader.pos = end;
    out.push({ magicByte: context.magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: context.isControlBatch, batchContext: context });
  }
}

async function decodeBatch(buf: Buffer, at: number, out: KafkajsMessage[]): Promise<number> {
  if (at + 12 > buf.length) throw new PartialBatch();
  const firstOffset = buf.readBigInt64BE(at).toString();
  const length = buf.readInt32BE(at + 8);
  const start = at + 12;
  const end = start + length;
  if (end > buf.length) throw new PartialBatch();
  if (length < BATCH_HEADER) throw new RangeError(`record batch: length ${length} is shorter than a batch header`);
  const partitionLeaderEpoch = buf.readInt32BE(start);
  const magicByte = buf.readInt8(start + 4);
  const attributes = buf.readInt16BE(start + 9);
  const context: BatchContext = {
    firstOffset,
    firstTimestamp: buf.readBigInt64BE(start + 15).toString(),
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta: buf.readInt32BE(start + 11),
    producerId: buf.readBigInt64BE(start + 31).toString(),
    producerEpoch: buf.readInt16BE(start + 39),
    firstSequence: buf.readInt32BE(start + 41),
    maxTimestamp: buf.readBigInt64BE(start + 23).toString(),
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME,
    magicByte,
  };
  const count = buf.readInt32BE(start + 45);
  const recordsStart = start + BATCH_HEADER;
  if ((attributes & COMPRESSION_CODEC_MASK) === 0) {
    if (count > 0) decodeRecords(new Reader(buf, recordsStart, end), count, context, out);
    return end;
  }
  if (count <= 0) return end;
  const records = await decompressRecords(attributes, buf.subarray(recordsStart, end));
  decodeRecords(new Reader(records, 0, records.length), count, context, out);
  return end;
}

/** kafkajs's decodeMessages, faster: the messages of one partition of a fetch response. */
async function decodeMessages(decoder: KafkajsDecoder): Promise<unknown[]> {
  const messagesSize = decoder.readInt32();
  if (messagesSize <= 0 || !decoder.canReadBytes(messagesSize)) return [];
  const buf = decoder.readBytes(messagesSize);
  // Cut off by the fetch's size limit before the first magic byte (kafkajs reads past the end and throws).
  if (buf.length <= MAGIC_OFFSET) return [];
  if (buf.readInt8(MAGIC_OFFSET) !== MAGIC_BYTE) return legacyDecodeMessages(buf, messagesSize);
  // A fetch of one of the gateway's own members: columns instead of objects, where they can carry the records.
  if (inRawFetch()) {
    let fetched = indexRecordBatches(buf);
    if (fetched === undefined) {
      const inflated = await inflate(buf);
      if (inflated !== undefined) {
        fetched = indexRecordBatches(inflated);
        // Records a block cannot carry (headers): objects, from the bytes already decompressed.
        if (fetched === undefined) return decodeRecordBatches(inflated);
      }
    }
    if (fetched !== undefined) return new RawMessages(fetched) as unknown as unknown[];
  }
  return decodeRecordBatches(buf);
}

/** The record batches with the compressed ones decompressed by kafkajs's codecs; undefined when none is compressed. */
const inflate = (buf: Buffer): Promise<Buffer | undefined> => inflateRecordBatches(buf, decompressRecords);

/** A compressed batch's records, by the codec its attributes name (kafkajs's codecs, ours registered: codecs.ts). */
function decompressRecords(attributes: number, records: Buffer): Promise<Buffer> {
  const codec = lookupCodecByAttributes(attributes);
  if (codec === null) throw new RangeError(`record batch: unknown compression codec in attributes ${attributes}`);
  return codec.decompress(records);
}

/** The messages of one partition's record batches (magic 2), as kafkajs decodes them. */
export async function decodeRecordBatches(buf: Buffer): Promise<KafkajsMessage[]> {
  const out: KafkajsMessage[] = [];
  let at = 0;
  // As kafkajs: a batch cut off by the fetch's size limit ends the partition's messages.
  while (buf.length - at >= BATCH_HEADER) {
    try {
      at = await decodeBatch(buf, at, out);
    } catch (err) {
      if (err instanceof PartialBatch) break;
      throw err;
    }
  }
  return out;
}

type Codec = { decompress(buffer: Buffer): Promise<Buffer> };
const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js') as { lookupCodecByAttributes(attributes: number): Codec | null };

/** Message sets older than record batches (magic 0 and 1) go through kafkajs's own decoder. */
function legacyDecodeMessages(buf: Buffer, size: number): Promise<unknown[]> {
  const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
  const decodeMessageSet = require('kafkajs/src/protocol/messageSet/decoder.js') as (decoder: unknown, size: number) => Promise<unknown[]>;
  return decodeMessageSet(new Decoder(buf), size);
}

export { decodeMessages as decodeKafkajsMessages };

let installed = false;

/**
 * Puts decodeMessages in place of kafkajs's. It must run before kafkajs loads
 * any fetch response decoder (they load lazily, on a consumer's first fetch):
 * otherwise, or on a kafkajs version it was not checked against, it leaves
 * kafkajs's decoder in place and says why.
 */
export function installKafkajsRecordBatches(): Installation {
  if (installed) return { installed };
  const mismatch = kafkajsVersionMismatch('test/unit/kafkajs-record-batches.test.ts');
  if (mismatch !== undefined) return { installed, reason: mismatch };
  const path = require.resolve(MODULE);
  const fetchDir = path.slice(0, path.lastIndexOf('/v4/'));
  const loaded = Object.keys(require.cache).filter((p) => p.startsWith(fetchDir) && p.endsWith('/response.js'));
  if (loaded.length > 0) return { installed, reason: `kafkajs fetched before it was installed (${loaded.length} fetch response decoders loaded)` };
  require(MODULE);
  require.cache[path]!.exports = decodeMessages;
  installed = true;
  return { installed };
}
