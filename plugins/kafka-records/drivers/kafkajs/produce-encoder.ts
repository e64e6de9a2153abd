import { createRequire } from 'node:module';
import { crc32c } from './crc32c.ts';
import { sizeOfVarInt, sizeOfVarLong, writeVarInt, writeVarLong } from './varints.ts';

/**
 * Writes an uncompressed kafkajs produce request (v3) into one Buffer: the
 * request is sized first (every record's body, from its keys, values, headers
 * and timestamp delta), then written, each batch's CRC-32C computed over the
 * bytes in place. It takes the request shapes kafkajs documents and returns
 * null for anything else, which produce-request.ts hands to kafkajs's own
 * encoder.
 */

const require = createRequire(import.meta.url);

interface KafkajsLong {
  value: bigint;
}
/** kafkajs's Encoder: its bytes are `buf` up to `offset` (what kafkajs's request framing copies, through `buffer`). */
export interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): KafkajsLong; fromInt(value: number): KafkajsLong };
const Encoder = require('kafkajs/src/protocol/encoder.js') as new (initialSize?: number) => KafkajsEncoder;

export interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  timestamp?: unknown;
}
export interface ProducePartitionData {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}
export interface ProduceTopicData {
  topic: string;
  partitions: ProducePartitionData[];
}
/** What kafkajs's produce request module takes (kafkajs's broker.produce passes it). */
export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: ProduceTopicData[];
}
/** Bytes of a record batch up to its records: first offset, length, leader epoch, magic, CRC, attributes, ..., record count. */
const BATCH_HEADER = 61;
/** Where the CRC-covered part of a batch starts (its attributes) and where the CRC is, from the batch's start. */
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
const MAGIC_BYTE = 2;
const TRANSACTIONAL_FLAG = 0x10;
const DECIMAL = /^-?\d+$/;

/**
 * Per-record figures of the request being encoded, kept from the sizing pass
 * for the writing pass: each record's body size, timestamp delta and header
 * count, and every key, value, header name and header value in writing order
 * with its byte length (-1 for null). Shared: encoding is synchronous.
 */
const scratch = {
  bodySizes: new Int32Array(1024),
  deltas: new Float64Array(1024),
  headerCounts: new Int32Array(1024),
  fields: [] as (Buffer | string | null)[],
  fieldLengths: new Int32Array(4096),
  records: 0,
  fieldCount: 0,
};

/** What the writing pass needs of a partition. */
interface PartitionPlan {
  recordsSize: number;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
}

/** An uncompressed request as kafkajs's Encoder would hold it, or null where kafkajs's own encoder must write it. */
export function encodeUncompressedProduceRequest(args: ProduceRequestArgs): KafkajsEncoder | null {
  const { transactionalId = null, producerId = Long.fromInt(-1), producerEpoch = 0, topicData } = args;
  if ((transactionalId !== null && typeof transactionalId !== 'string') || !Array.isArray(topicData) || !isLongValue(producerId)) return null;
  scratch.records = 0;
  scratch.fieldCount = 0;
  try {
    const plans: PartitionPlan[] = [];
    let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
    for (const { topic, partitions } of topicData) {
      if (typeof topic !== 'string' || !Array.isArray(partitions)) return null;
      size += 2 + Buffer.byteLength(topic) + 4;
      for (const { messages } of partitions) {
        const plan = Array.isArray(messages) ? planPartition(messages) : null;
        if (plan === null) return null;
        plans.push(plan);
        size += 8 + BATCH_HEADER + plan.recordsSize;
      }
    }
    return write(size, args, transactionalId, Long.fromValue(producerId).value, producerEpoch, plans);
  } finally {
    // Let go of the request's keys and values.
    scratch.fields.fill(null, 0, scratch.fieldCount);
  }
}

function write(size: number, args: ProduceRequestArgs, transactionalId: string | null, producerId: bigint, producerEpoch: number, plans: PartitionPlan[]): KafkajsEncoder {
  const buf = Buffer.allocUnsafe(size);
  let pos = writeString(buf, 0, transactionalId);
  pos = buf.writeInt16BE(args.acks, pos);
  pos = buf.writeInt32BE(args.timeout, pos);
  pos = buf.writeInt32BE(args.topicData.length, pos);
  const attributes = transactionalId ? TRANSACTIONAL_FLAG : 0;
  const cursor = { record: 0, field: 0 };
  let planIndex = 0;
  for (const { topic, partitions } of args.topicData) {
    pos = writeString(buf, pos, topic);
    pos = buf.writeInt32BE(partitions.length, pos);
    for (const { partition, firstSequence = 0, messages } of partitions) {
      const plan = plans[planIndex++]!;
      const batchSize = BATCH_HEADER + plan.recordsSize;
      pos = buf.writeInt32BE(partition, pos);
      pos = buf.writeInt32BE(batchSize, pos);
      const batch = pos;
      pos = buf.writeBigInt64BE(0n, pos); // first offset
      pos = buf.writeInt32BE(batchSize - 12, pos);
      pos = buf.writeInt32BE(0, pos); // partition leader epoch
      buf[pos++] = MAGIC_BYTE;
      pos = buf.writeInt16BE(attributes, pos + 4); // after the CRC
      pos = buf.writeInt32BE(messages.length - 1, pos); // last offset delta
      pos = buf.writeBigInt64BE(plan.firstTimestamp, pos);
      pos = buf.writeBigInt64BE(plan.maxTimestamp, pos);
      pos = buf.writeBigInt64BE(producerId, pos);
      pos = buf.writeInt16BE(producerEpoch, pos);
      pos = buf.writeInt32BE(firstSequence, pos);
      pos = buf.writeInt32BE(messages.length, pos);
      pos = writeRecords(buf, pos, messages.length, cursor);
      buf.writeUInt32BE(crc32c(buf, batch + ATTRIBUTES_OFFSET, pos), batch + CRC_OFFSET);
    }
  }
  if (pos !== size) throw new Error(`produce request: wrote ${pos} bytes of the ${size} it sized (a bug in produce-request.ts)`);
  const encoder = new Encoder(0);
  encoder.buf = buf;
  encoder.offset = size;
  return encoder;
}

/**
 * Sizes a partition's records and takes kafkajs's timestamps: Date.now() for
 * a message without one, and the batch's first and max timestamps from
 * kafkajs's default (string) sort of the messages' timestamps.
 */
function planPartition(messages: ProduceMessage[]): PartitionPlan | null {
  const dateNow = Date.now();
  let timestamped = false;
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) return null;
    const { timestamp } = message;
    if (timestamp != null) {
      if (!isIntegerTimestamp(timestamp)) return null;
      timestamped = true;
    }
  }
  let first: unknown = dateNow;
  let max: unknown = dateNow;
  if (timestamped) {
    const sorted = messages
      .map((m) => m.timestamp)
      .filter((t) => t != null)
      .sort();
    first = sorted[0];
    max = sorted[sorted.length - 1];
  }
  const firstNumber = Number(first);
  ensureRecords(scratch.records + messages.length);
  let recordsSize = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    // As kafkajs: `(message.timestamp || dateNow) - firstTimestamp`.
    const delta = timestamped ? Number(message.timestamp || dateNow) - firstNumber : 0;
    const body = planRecord(message, i, delta);
    if (body < 0) return null;
    recordsSize += sizeOfVarInt(body) + body;
  }
  return { recordsSize, firstTimestamp: BigInt(first as number | string), maxTimestamp: BigInt(max as number | string) };
}

/** A record's body size (after its length), its figures kept in `scratch`; -1 for a record kafkajs's encoder must write. */
function planRecord(message: ProduceMessage, offsetDelta: number, delta: number): number {
  const { key, value, headers = {} } = message;
  if (typeof headers !== 'object' || headers === null) return -1;
  const keySize = planField(key);
  const valueSize = planField(value);
  if (keySize === -2 || valueSize === -2) return -1;
  let body = 1 + sizeOfVarLong(delta) + sizeOfVarInt(offsetDelta) + keySize + valueSize;
  let count = 0;
  // Most records have no headers: no keys array for them.
  for (const name of hasEnumerable(headers) ? Object.keys(headers) : NO_KEYS) {
    const header = (headers as Record<string, unknown>)[name];
    if (Array.isArray(header)) {
      for (const item of header) {
        const size = planHeader(name, item);
        if (size < 0) return -1;
        body += size;
        count++;
      }
    } else {
      const size = planHeader(name, header);
      if (size < 0) return -1;
      body += size;
      count++;
    }
  }
  body += sizeOfVarInt(count);
  const r = scratch.records++;
  scratch.bodySizes[r] = body;
  scratch.deltas[r] = delta;
  scratch.headerCounts[r] = count;
  return body;
}

const NO_KEYS: readonly string[] = [];

/** Whether `object` has any enumerable property (when not, Object.keys would give none). */
function hasEnumerable(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

/** A header's size; -1 for a value kafkajs's encoder must take (null, which it rejects, or anything not a Buffer or string). */
function planHeader(name: string, value: unknown): number {
  if (value == null) return -1;
  const nameSize = planField(name);
  const valueSize = planField(value);
  return valueSize === -2 ? -1 : nameSize + valueSize;
}

/** Keeps a key, value or header field for the writing pass: its encoded size, or -2 for a type kafkajs's encoder must take. */
function planField(field: unknown): number {
  let length: number;
  if (field == null) {
    field = null;
    length = -1;
  } else if (Buffer.isBuffer(field)) length = field.length;
  else if (typeof field === 'string') length = Buffer.byteLength(field);
  else return -2;
  const f = scratch.fieldCount++;
  if (f === scratch.fieldLengths.length) scratch.fieldLengths = grow(scratch.fieldLengths);
  scratch.fields[f] = field as Buffer | string | null;
  scratch.fieldLengths[f] = length;
  return length < 0 ? 1 : sizeOfVarInt(length) + length;
}

function writeRecords(buf: Buffer, pos: number, count: number, cursor: { record: number; field: number }): number {
  const { bodySizes, deltas, headerCounts, fields, fieldLengths } = scratch;
  let r = cursor.record;
  let f = cursor.field;
  for (let i = 0; i < count; i++, r++) {
    pos = writeVarInt(buf, pos, bodySizes[r]!);
    buf[pos++] = 0; // attributes
    pos = writeVarLong(buf, pos, deltas[r]!);
    pos = writeVarInt(buf, pos, i);
    // Key, value, then each header's name and value.
    const fieldEnd = f + 2 + 2 * headerCounts[r]!;
    if (headerCounts[r] === 0) {
      pos = writeField(buf, pos, fields[f]!, fieldLengths[f]!);
      pos = writeField(buf, pos, fields[f + 1]!, fieldLengths[f + 1]!);
      buf[pos++] = 0;
    } else {
      pos = writeField(buf, pos, fields[f]!, fieldLengths[f]!);
      pos = writeField(buf, pos, fields[f + 1]!, fieldLengths[f + 1]!);
      pos = writeVarInt(buf, pos, headerCounts[r]!);
      for (let h = f + 2; h < fieldEnd; h++) pos = writeField(buf, pos, fields[h]!, fieldLengths[h]!);
    }
    f = fieldEnd;
  }
  cursor.record = r;
  cursor.field = f;
  return pos;
}

function writeField(buf: Buffer, pos: number, field: Buffer | string | null, length: number): number {
  pos = writeVarInt(buf, pos, length);
  if (length <= 0) return pos;
  if (typeof field === 'string') buf.write(field, pos, length, 'utf8');
  else buf.set(field!, pos);
  return pos + length;
}

/** A nullable string with an int16 length, as kafkajs writes it. */
function writeString(buf: Buffer, pos: number, value: string | null): number {
  if (value === null) return buf.writeInt16BE(-1, pos);
  const length = Buffer.byteLength(value);
  pos = buf.writeInt16BE(length, pos);
  buf.write(value, pos, length, 'utf8');
  return pos + length;
}

/** A message timestamp this encoder takes: an integer as a number or a decimal string (what kafkajs's Long and arithmetic agree on). */
function isIntegerTimestamp(timestamp: unknown): boolean {
  if (typeof timestamp === 'number') return Number.isSafeInteger(timestamp);
  return typeof timestamp === 'string' && DECIMAL.test(timestamp) && Number.isSafeInteger(Number(timestamp));
}

/** A producer id kafkajs's Long.fromValue takes. */
function isLongValue(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint' || (typeof value === 'object' && value !== null && typeof (value as KafkajsLong).value === 'bigint');
}

function ensureRecords(count: number): void {
  while (scratch.bodySizes.length < count) {
    scratch.bodySizes = grow(scratch.bodySizes);
    scratch.deltas = grow(scratch.deltas);
    scratch.headerCounts = grow(scratch.headerCounts);
  }
}

function grow<T extends Int32Array | Float64Array>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}
