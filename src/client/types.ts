import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import type { TlsOptions, TokenSource } from './auth.ts';
import type { SluiceClientError } from './errors.ts';

/** Bytes as the client accepts them: a string is UTF-8 encoded. */
export type BytesLike = Uint8Array | string;

export interface ConnectOptions {
  /** Defaults to insecure (plaintext) credentials, or TLS when `tls` is given. */
  credentials?: ChannelCredentials;
  /** TLS (and mutual TLS with a client certificate) to the gateway. */
  tls?: TlsOptions;
  /** Sent as `authorization: Bearer <token>` on every call; a function is asked at each call (refresh). */
  token?: TokenSource;
  /** Extra grpc-js channel options. */
  channelOptions?: ChannelOptions;
  /** Deadline of each unary call (Publish, Ack, GetOffsets, GetEndOffsets). Default 10 000 ms. */
  callTimeoutMs?: number;
}

/** A CloudEvents-style event (LiiklusEvent on the wire). */
export interface EventInput {
  id: string;
  type: string;
  source: string;
  /** RFC 3339 time; a Date is formatted with toISOString(). */
  time?: string | Date;
  dataContentType?: string;
  /** The event's data; defaults to the `value` passed to publish(). */
  data?: BytesLike;
  extensions?: Record<string, string>;
}

export interface PublishOptions {
  /** Records with the same key land in the same partition (murmur2, as Kafka's default partitioner). */
  key?: BytesLike;
  /** Record headers (Sluice extension). */
  headers?: Record<string, BytesLike>;
  /** Publish as an event instead of a raw value. */
  event?: EventInput;
}

/** One record of SluiceClient.publishBatch: a value (or an event's data) for a topic, with publish options. */
export interface PublishRecord extends PublishOptions {
  topic: string;
  value: BytesLike;
}

export interface PublishResult {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface LiiklusEvent {
  id: string;
  type: string;
  source: string;
  time: string;
  dataContentType: string;
  data: Buffer;
  extensions: Record<string, string>;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  /** Empty when the record has no key (proto3 cannot tell the two apart). */
  key: Buffer;
  /** The raw value; a record published as an event: its CloudEvents JSON document (format 'binary') or its data (format 'event'). */
  value: Buffer;
  headers: Record<string, Buffer>;
  timestamp: Date | null;
  /** True when some version of the group already acked this offset. */
  replay: boolean;
  /** Set with format 'event'. */
  event: LiiklusEvent | null;
  /**
   * Subscriptions with `retry`: the delivery this is (1: first; 2 and up:
   * from the retry topic), set before the handler of each() runs.
   */
  attempt?: number;
  /** Subscriptions with `retry`: where the record was first published (a retry copy's own coordinates differ). */
  origin?: RecordOrigin;
}

/** A record's coordinates in the topic it was first published to. */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: bigint;
}

/** How records whose handler throws are retried (docs/retry.md). */
export interface RetryOptions {
  /** Deliveries before a record is dead-lettered. Default: the gateway's RETRY_MAX_ATTEMPTS (5). */
  maxAttempts?: number;
  /** Delay before attempt n+1: initialMs × factor^(n-1), at most maxMs. Default: the gateway's RETRY_BACKOFF_*. */
  backoff?: { initialMs: number; maxMs?: number; factor?: number };
  /** The group's retry topic. Default `<topic>.<group>.retry` (the gateway's default RETRY_TOPIC). */
  topic?: string;
  /** A handler error for which retrying is pointless: dead-letter the record at once. */
  deadLetterIf?: (error: unknown) => boolean;
}

/** A record handed back instead of acked (SluiceClient.nack). */
export interface NackOptions {
  group: string;
  groupVersion?: number;
  reason: string;
  /** Dead-letter now, whatever the attempt. */
  deadLetter?: boolean;
  /** 0 / absent: the gateway's backoff. */
  delayMs?: number;
  /** 0 / absent: the gateway's maximum. */
  maxAttempts?: number;
}

/** Where Nack stored the copy. */
export interface NackResult {
  topic: string;
  partition: number;
  offset: bigint;
  attempt: number;
  deadLettered: boolean;
  retryAt: Date | null;
}

export interface ReconnectOptions {
  /** First delay. Default 100 ms. */
  initialDelayMs?: number;
  /** Largest delay. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Give up (the subscription fails with the last UNAVAILABLE) after this many attempts in a row. Default: never. */
  maxAttempts?: number;
}

/** 'none': never ack (read without moving the group, e.g. to browse a dead-letter topic). */
export type AckMode = 'after' | 'before' | 'none';

export interface SubscribeOptions {
  topic: string;
  group: string;
  groupVersion?: number;
  /** Where a partition without a stored position starts. Default 'earliest'. */
  from?: 'earliest' | 'latest';
  /**
   * Receive only matching records (a Sluice gateway extension; docs/filters.md).
   * Records filtered out are acked past for you, in order with the others.
   */
  filter?: RecordFilter;
  /**
   * 'after' (default, at-least-once): a record is acked once processed.
   * 'before' (at-most-once): a record is acked before it is handed over.
   */
  ack?: AckMode;
  /** At-least-once ack cadence: whichever comes first. Default 1000 records / 5000 ms. */
  ackEvery?: { records?: number; ms?: number };
  /** 'binary' (default) or 'event' (LIIKLUS_EVENT). */
  format?: 'binary' | 'event';
  /** Records held locally per partition before the client stops reading from the wire. Default 1,024. */
  bufferSize?: number;
  /** Bytes (keys, values, headers) held locally per partition before the client stops reading from the wire. Default 8 MiB. */
  bufferBytes?: number;
  /** Re-subscribe on UNAVAILABLE (exponential backoff with jitter); false to fail instead. */
  reconnect?: ReconnectOptions | false;
  /** How long close() waits for records being processed to finish. Default 5000 ms. */
  closeTimeoutMs?: number;
  /**
   * Retry and dead-letter (a Sluice gateway extension; docs/retry.md): the
   * group's retry topic is consumed too, and a record whose each() handler
   * throws is handed back (Nack) to be retried later, or dead-lettered once
   * its attempts are used up, instead of ending the subscription.
   */
  retry?: RetryOptions;
}

/**
 * Why an ack was sent: N records or T ms processed; the partition was revoked,
 * or the consumer left its loop; close(); before re-subscribing; at-most-once
 * acking ahead of delivery.
 */
export type AckReason = 'records' | 'time' | 'revoke' | 'left' | 'close' | 'reconnect' | 'before';

export type SubscriptionEvent =
  | { type: 'assigned'; partition: number; sessionId: string }
  | { type: 'revoked'; partition: number; sessionId: string }
  | { type: 'acked'; partition: number; offset: bigint; reason: AckReason }
  | { type: 'ack-failed'; partition: number; offset: bigint; reason: AckReason; error: Error }
  | { type: 'disconnected'; error: SluiceClientError; attempt: number; retryInMs: number }
  /** A partition's Receive ended with UNAVAILABLE or CANCELLED while the Subscribe lives: it is opened again in retryInMs. */
  | { type: 'receive-interrupted'; partition: number; sessionId: string; error: SluiceClientError; attempt: number; retryInMs: number }
  /** Subscriptions with `retry`: the record at (topic, partition, offset) was handed back; `result` says where its copy went. */
  | { type: 'nacked'; topic: string; partition: number; offset: bigint; reason: string; result: NackResult }
  | { type: 'closed' };

/** Conditions a record must all meet to be delivered (docs/filters.md). */
export interface RecordFilter {
  /** CloudEvents `type` equals. */
  eventType?: string;
  /** CloudEvents `type` starts with. */
  eventTypePrefix?: string;
  /** Each header equals (strings as UTF-8). */
  headers?: Record<string, string | Uint8Array>;
  /** The key starts with (a string as UTF-8). */
  keyPrefix?: string | Uint8Array;
}
