import type { IHeaders } from 'kafkajs';
import type { CloudEvent, Envelope, StoredRecord } from '../../src/contracts/index.ts';
import type { FetchedMessage } from './driver.ts';

/**
 * CloudEvents Kafka protocol binding, binary content mode: the event's
 * attributes are `ce_`-prefixed headers, its data content type is the
 * `content-type` header, its data the record value. Any CloudEvents Kafka
 * consumer reads the records this store writes, and this store reads theirs.
 */
const PREFIX = 'ce_';
const SPEC_VERSION = '1.0';
const CONTENT_TYPE = 'content-type';
/** Attributes with their own LiiklusEvent fields (the rest are extensions). */
const OWN = new Set(['id', 'type', 'source', 'time', 'specversion']);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The headers and value of the Kafka record for `envelope`. */
export function toKafkaRecord(envelope: Envelope): { headers: IHeaders; value: Buffer | null } {
  const headers: IHeaders = {};
  for (const [name, value] of envelope.headers) headers[name] = toBuffer(value);
  const event = envelope.event;
  if (event === null) return { headers, value: envelope.value === null ? null : toBuffer(envelope.value) };
  // Event attributes win over client headers of the same name.
  for (const [name, value] of Object.entries(event.extensions)) headers[PREFIX + name] = value;
  headers[`${PREFIX}specversion`] = SPEC_VERSION;
  headers[`${PREFIX}id`] = event.id;
  headers[`${PREFIX}type`] = event.type;
  headers[`${PREFIX}source`] = event.source;
  if (event.time !== '') headers[`${PREFIX}time`] = event.time;
  if (event.dataContentType !== '') headers[CONTENT_TYPE] = event.dataContentType;
  return { headers, value: toBuffer(event.data) };
}

/**
 * A copy of `bytes`: kafkajs hands out views into the whole fetch response,
 * which a buffered record would otherwise keep alive.
 */
const copy = (bytes: Buffer): Uint8Array => new Uint8Array(bytes);

const EMPTY = new Uint8Array(0);

/** A header value as kafkajs decodes it: null when the producer wrote a null value (the Java producer can). */
type HeaderValue = Buffer | string | null | undefined;

function headerBytes(value: NonNullable<FetchedMessage['headers']>[string]): Uint8Array | undefined {
  // A header name that occurs more than once: the last one counts (as Kafka's lastHeader).
  const last = (Array.isArray(value) ? value.at(-1) : value) as HeaderValue;
  if (last === undefined) return undefined;
  // proto3 bytes cannot be null: a null value becomes an empty one (docs/headers.md).
  if (last === null) return EMPTY;
  return typeof last === 'string' ? encoder.encode(last) : copy(last);
}

/**
 * A consumed Kafka message as a StoredRecord. A message with `ce_id` (binary
 * mode CloudEvent) also gets `event`; its `ce_*` and `content-type` headers
 * then live in `event` and are left out of `headers`.
 */
export function fromKafkaMessage(topic: string, partition: number, message: FetchedMessage): StoredRecord {
  const all = new Map<string, Uint8Array>();
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const bytes = headerBytes(value);
    if (bytes !== undefined) all.set(name, bytes);
  }
  const value = message.value === null ? null : copy(message.value);
  const key = message.key === null || message.key === undefined ? null : copy(message.key);
  const base = { topic, partition, offset: BigInt(message.offset), timestamp: new Date(Number(message.timestamp)), key, value };
  if (!all.has(`${PREFIX}id`)) return { ...base, event: null, headers: all };

  const text = (name: string) => {
    const bytes = all.get(name);
    return bytes === undefined ? '' : decoder.decode(bytes);
  };
  const extensions: Record<string, string> = {};
  const headers = new Map<string, Uint8Array>();
  for (const [name, bytes] of all) {
    if (name.startsWith(PREFIX)) {
      const attribute = name.slice(PREFIX.length);
      if (!OWN.has(attribute)) extensions[attribute] = decoder.decode(bytes);
    } else if (name !== CONTENT_TYPE) {
      headers.set(name, bytes);
    }
  }
  const event: CloudEvent = {
    id: text(`${PREFIX}id`),
    type: text(`${PREFIX}type`),
    source: text(`${PREFIX}source`),
    time: text(`${PREFIX}time`),
    dataContentType: text(CONTENT_TYPE),
    data: value ?? new Uint8Array(0),
    extensions,
  };
  return { ...base, event, headers };
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

/** Approximate memory a buffered record holds: its bytes plus a fixed overhead. Any header value may be null. */
export function recordSize(message: FetchedMessage): number {
  let size = 200 + (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += name.length + 40;
    for (const v of (Array.isArray(value) ? value : [value]) as HeaderValue[]) size += v?.length ?? 0;
  }
  return size;
}
