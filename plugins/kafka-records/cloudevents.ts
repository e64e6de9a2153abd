import type { IHeaders } from 'kafkajs';
import {
  CLOUDEVENT_HEADER_PREFIX,
  CLOUDEVENT_ID_HEADER,
  CLOUDEVENT_OWN_ATTRIBUTES,
  CONTENT_TYPE_HEADER,
  type CloudEvent,
  type Envelope,
  type StoredRecord,
} from '../../src/contracts/index.ts';
import type { FetchedMessage } from './driver.ts';

/**
 * CloudEvents Kafka protocol binding, binary content mode: the event's
 * attributes are `ce_`-prefixed headers, its data content type is the
 * `content-type` header, its data the record value. Any CloudEvents Kafka
 * consumer reads the records this store writes, and this store reads theirs.
 */
const PREFIX = CLOUDEVENT_HEADER_PREFIX;
const SPEC_VERSION = '1.0';
const CONTENT_TYPE = CONTENT_TYPE_HEADER;
const CE_ID = CLOUDEVENT_ID_HEADER;
const OWN = CLOUDEVENT_OWN_ATTRIBUTES;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `bytes` as a Buffer: itself when it is one (keys and values decoded from gRPC are), else a view of the same memory. */
export const toBuffer = (bytes: Uint8Array): Buffer => (bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** The headers of a Kafka record without any: shared by every such record, never written to. */
const NO_KAFKA_HEADERS: IHeaders = Object.freeze({});

/** The headers of the Kafka record for `envelope`. */
export function toKafkaHeaders(envelope: Envelope): IHeaders {
  const event = envelope.event;
  if (envelope.headers.size === 0 && event === null) return NO_KAFKA_HEADERS;
  const headers: IHeaders = {};
  for (const [name, value] of envelope.headers) headers[name] = toBuffer(value);
  if (event === null) return headers;
  // Event attributes win over client headers of the same name.
  for (const [name, value] of Object.entries(event.extensions)) headers[PREFIX + name] = value;
  headers[`${PREFIX}specversion`] = SPEC_VERSION;
  headers[`${PREFIX}id`] = event.id;
  headers[`${PREFIX}type`] = event.type;
  headers[`${PREFIX}source`] = event.source;
  if (event.time !== '') headers[`${PREFIX}time`] = event.time;
  if (event.dataContentType !== '') headers[CONTENT_TYPE] = event.dataContentType;
  return headers;
}

/** The value of the Kafka record for `envelope`: its value, or its event's data. */
export function toKafkaValue(envelope: Envelope): Buffer | null {
  if (envelope.event !== null) return toBuffer(envelope.event.data);
  return envelope.value === null ? null : toBuffer(envelope.value);
}

/**
 * A copy of `bytes`: kafkajs hands out views into the whole fetch response,
 * which a buffered record would otherwise keep alive.
 */
const copy = (bytes: Buffer): Uint8Array => new Uint8Array(bytes);

/**
 * Copies the bytes of one fetched batch into one allocation: a buffered
 * record then pins its batch's slab (about what the buffer accounts for),
 * never kafkajs's fetch response, and a batch costs one allocation instead of
 * one or two per record (in the receive profile, per-record copies and their
 * garbage were the largest part of the gateway's own CPU).
 */
export class Slab {
  private readonly buf: Uint8Array;
  private pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  /** Bytes every message of a batch will copy: key, value and header values. */
  static bytesOf(message: FetchedMessage): number {
    let size = (message.key?.length ?? 0) + (message.value?.length ?? 0);
    const headers = message.headers;
    if (headers !== undefined) {
      for (const name in headers) {
        const value = headers[name] as HeaderValue | HeaderValue[];
        if (Array.isArray(value)) for (const v of value) size += v?.length ?? 0;
        else size += value?.length ?? 0;
      }
    }
    return size;
  }

  copy(bytes: Buffer): Uint8Array {
    const start = this.pos;
    const end = start + bytes.length;
    // Past the size it was made for (a message not counted): a copy of its own.
    if (end > this.buf.length) return copy(bytes);
    // A plain Uint8Array view and TypedArray.set: cheaper per record than Buffer's subarray and copy.
    this.buf.set(bytes, start);
    this.pos = end;
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, bytes.length);
  }
}

const EMPTY = new Uint8Array(0);
/** Shared by every record without headers (most): never mutated. */
const NO_HEADERS: ReadonlyMap<string, Uint8Array> = new Map();

/** A header value as kafkajs decodes it: null when the producer wrote a null value (the Java producer can). */
type HeaderValue = Buffer | string | null | undefined;

/** The value of a header as kafkajs decodes it: the last one of a repeated name (as Kafka's lastHeader); undefined for none. */
function lastValue(value: NonNullable<FetchedMessage['headers']>[string]): HeaderValue {
  return (Array.isArray(value) ? value.at(-1) : value) as HeaderValue;
}

/** A header's value as bytes, copied with `copyBytes`; proto3 bytes cannot be null: a null value becomes an empty one (docs/headers.md). */
function headerBytes(last: Exclude<HeaderValue, undefined>, copyBytes: (bytes: Buffer) => Uint8Array): Uint8Array {
  if (last === null) return EMPTY;
  return typeof last === 'string' ? encoder.encode(last) : copyBytes(last);
}

/** A header's value as text (an event attribute): decoded from the fetched bytes, never copied first. */
function headerText(last: HeaderValue): string {
  // proto3 bytes cannot be null: a null value becomes an empty one (docs/headers.md), which reads as ''.
  if (last === null || last === undefined) return '';
  return decoder.decode(typeof last === 'string' ? encoder.encode(last) : last);
}

/**
 * A consumed Kafka message as a StoredRecord, its bytes copied with
 * `copyBytes` (a batch's Slab; by default a copy of their own). A message
 * with `ce_id` (binary mode CloudEvent) also gets `event`; its `ce_*` and
 * `content-type` headers then live in `event` and are left out of `headers`.
 */
export function fromKafkaMessage(
  topic: string,
  partition: number,
  message: FetchedMessage,
  copyBytes: (bytes: Buffer) => Uint8Array = copy,
  offset: bigint = BigInt(message.offset),
): StoredRecord {
  const value = message.value === null ? null : copyBytes(message.value);
  const key = message.key === null || message.key === undefined ? null : copyBytes(message.key);
  const timestamp = new Date(Number(message.timestamp));
  const kafkaHeaders = message.headers;
  if (kafkaHeaders === undefined) return { topic, partition, offset, timestamp, key, value, event: null, headers: NO_HEADERS };
  const isEvent = Object.prototype.hasOwnProperty.call(kafkaHeaders, CE_ID) && lastValue(kafkaHeaders[CE_ID]!) !== undefined;
  let headers = NO_HEADERS as Map<string, Uint8Array>;
  if (!isEvent) {
    for (const name in kafkaHeaders) {
      const last = lastValue(kafkaHeaders[name]!);
      if (last === undefined) continue;
      if (headers === NO_HEADERS) headers = new Map();
      headers.set(name, headerBytes(last, copyBytes));
    }
    return { topic, partition, offset, timestamp, key, value, event: null, headers };
  }

  // An event's attributes are read as text straight from the fetched bytes: with five of them per
  // record, copying each first (and a map of them all) was a large part of an event's cost.
  const extensions: Record<string, string> = {};
  const event: CloudEvent = { id: '', type: '', source: '', time: '', dataContentType: '', data: value ?? EMPTY, extensions };
  for (const name in kafkaHeaders) {
    const last = lastValue(kafkaHeaders[name]!);
    if (last === undefined) continue;
    if (name.startsWith(PREFIX)) {
      const attribute = name.slice(PREFIX.length);
      if (attribute === 'id') event.id = headerText(last);
      else if (attribute === 'type') event.type = headerText(last);
      else if (attribute === 'source') event.source = headerText(last);
      else if (attribute === 'time') event.time = headerText(last);
      else if (!OWN.has(attribute)) extensions[attribute] = headerText(last);
    } else if (name === CONTENT_TYPE) {
      event.dataContentType = headerText(last);
    } else {
      if (headers === NO_HEADERS) headers = new Map();
      headers.set(name, headerBytes(last, copyBytes));
    }
  }
  return { topic, partition, offset, timestamp, key, value, event, headers };
}

/**
 * A consumed message that fromKafkaMessage could not map (a shape no
 * producer we know writes): delivered with its key and value, without
 * headers or event, rather than stopping the partition.
 */
export function fromUnmappableMessage(topic: string, partition: number, message: FetchedMessage): StoredRecord {
  const bytes = (b: unknown) => (Buffer.isBuffer(b) ? copy(b) : null);
  const timestamp = new Date(Number(message.timestamp));
  return {
    topic,
    partition,
    offset: BigInt(message.offset),
    timestamp: Number.isNaN(timestamp.getTime()) ? new Date(0) : timestamp,
    key: bytes(message.key),
    value: bytes(message.value),
    event: null,
    headers: new Map(),
  };
}

/** Approximate memory a buffered record holds: its bytes (Slab.bytesOf) plus a fixed overhead. Any header value may be null. */
export function recordSize(message: FetchedMessage, bytes = Slab.bytesOf(message)): number {
  let size = 200 + bytes;
  const headers = message.headers;
  if (headers !== undefined) for (const name in headers) size += name.length + 40;
  return size;
}
