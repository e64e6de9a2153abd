import type { EventMessage, ReceiveReplyMessage, TimestampMessage } from './wire.ts';
import type { BytesLike, ConsumedRecord, LiiklusEvent } from './types.ts';

export const toBuffer = (bytes: BytesLike): Buffer => (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes));

const asBuffer = (bytes: Uint8Array | undefined | null): Buffer =>
  bytes == null ? Buffer.alloc(0) : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function toDate(timestamp: TimestampMessage | null | undefined): Date | null {
  if (timestamp == null) return null;
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6));
}

function toEvent(event: EventMessage): LiiklusEvent {
  return { ...event, data: asBuffer(event.data), extensions: { ...event.extensions } };
}

/** A ReceiveReply as the record handed to the consumer. */
export function toConsumedRecord(topic: string, partition: number, reply: ReceiveReplyMessage): ConsumedRecord {
  if (reply.liiklusEventRecord) {
    const r = reply.liiklusEventRecord;
    const event = r.event ? toEvent(r.event) : null;
    return {
      topic,
      partition,
      offset: BigInt(r.offset),
      key: asBuffer(r.key),
      value: event?.data ?? Buffer.alloc(0),
      headers: {},
      timestamp: toDate(r.timestamp),
      replay: r.replay,
      event,
    };
  }
  const r = reply.record;
  if (!r) throw new Error('ReceiveReply carries neither a record nor an event record');
  return {
    topic,
    partition,
    offset: BigInt(r.offset),
    key: asBuffer(r.key),
    value: asBuffer(r.value),
    headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, asBuffer(v)])),
    timestamp: toDate(r.timestamp),
    replay: r.replay,
    event: null,
  };
}
