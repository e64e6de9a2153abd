import type { Observable } from 'rxjs';
import type { RecordRun } from './record-block.ts';

/** A CloudEvents event as carried by Liiklus's `LiiklusEvent`. */
export interface CloudEvent {
  id: string;
  type: string;
  source: string;
  /** RFC 3339 timestamp, or '' when absent. */
  time: string;
  /** MIME type of `data`, or '' when absent. */
  dataContentType: string;
  data: Uint8Array;
  extensions: Readonly<Record<string, string>>;
}

/** What a client publishes: a raw value or an event, with an optional key. */
export interface Envelope {
  topic: string;
  /** null: no key; the store spreads keyless records across partitions. */
  key: Uint8Array | null;
  /** Exactly one of `value` and `event` is set. */
  value: Uint8Array | null;
  event: CloudEvent | null;
  headers: ReadonlyMap<string, Uint8Array>;
}

/** A record as read back from a store. */
export interface StoredRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: Date;
  key: Uint8Array | null;
  /** The record's value; for an event, its data. */
  value: Uint8Array | null;
  /** Set when the record was published as an event (or is readable as one). */
  event: CloudEvent | null;
  headers: ReadonlyMap<string, Uint8Array>;
}

export interface PublishResult {
  topic: string;
  partition: number;
  offset: bigint;
}

export type AutoOffsetReset = 'earliest' | 'latest';

export interface SubscribeOptions {
  topic: string;
  /** The consumer group name (without version). */
  group: string;
  autoOffsetReset: AutoOffsetReset;
  /**
   * Where to start each partition: the next offset to deliver (stored
   * position + 1). Partitions absent from the map start at `autoOffsetReset`.
   * The store calls it whenever it (re)positions a partition; a rejection
   * (positions store down) fails that partition's reader or the subscription.
   */
  startOffsets(partitions: readonly number[]): Promise<ReadonlyMap<number, bigint>>;
}

/** One partition assigned to one subscription. */
export interface PartitionSource {
  readonly partition: number;
  /**
   * The partition's records, pulled one at a time: the store reads ahead at
   * most a small bounded amount while the consumer is not pulling.
   * Each call starts at `startOffsets()` (else `autoOffsetReset`). At most one
   * reader at a time: the caller ends the previous iteration first.
   * The iteration ends (done) when the partition is revoked or the subscription
   * ends, ends early when `signal` aborts, and throws `UnavailableError` when
   * the store fails.
   */
  records(signal: AbortSignal): AsyncIterable<StoredRecord>;
  /**
   * The same records as `records()`, in the same order and with the same
   * rules (start, one reader, end, errors), in arrays: each array holds the
   * records already available when it is pulled, at least one, in offset
   * order. The store never waits to fill an array; it waits only when it has
   * nothing at all. The hot path of the gateway: one await per batch, not per record.
   */
  batches(signal: AbortSignal): AsyncIterable<readonly StoredRecord[]>;
  /**
   * Optional: the same records as `batches()`, with the same rules, where
   * the store may hand a run of records over as a RecordBlock (columns over
   * one buffer, no object per record) instead of an array. The gateway reads
   * blocks when nothing it does needs the records as objects (no filter, not
   * a retry topic); the gRPC encoder writes replies straight from them.
   */
  blocks?(signal: AbortSignal): AsyncIterable<RecordRun>;
}

/** One member of a consumer group. */
export interface Subscription {
  /**
   * The member's whole current assignment, emitted after every rebalance.
   * A partition kept across a rebalance without interruption keeps its
   * PartitionSource object; a new object means a new assignment. Completes
   * when the subscription is closed; errors (UnavailableError) when the store
   * fails.
   */
  readonly assignments: Observable<readonly PartitionSource[]>;
  /** Leaves the group; open record iterations end. Idempotent. */
  close(): Promise<void>;
}

export interface RecordsStore {
  /** Stores one record. Same key, same partition; throws UnavailableError when down. */
  publish(envelope: Envelope): Promise<PublishResult>;
  /**
   * Optional: stores several records, as `publish` of each in this order would
   * (same partitions, per-partition order kept), with results in the same
   * order; lets a store skip per-record bookkeeping (PublishBatch). Not all or
   * nothing: when it fails, a prefix may be stored, as with concurrent
   * publish calls. Without it the gateway publishes each record.
   */
  publishBatch?(envelopes: readonly Envelope[]): Promise<PublishResult[]>;
  /** Joins `group` on `topic` as a new member. */
  subscribe(options: SubscribeOptions): Subscription;
  /** Partition -> offset of the last record written; partitions never written may be absent. */
  getEndOffsets(topic: string): Promise<ReadonlyMap<number, bigint>>;
  /**
   * A cheap reachability probe for health checks (Kafka: cluster metadata):
   * resolves when the store answers, throws UnavailableError when it does not.
   * Optional: a store without it is taken as reachable. The caller bounds its time.
   */
  ping?(): Promise<void>;
  /** Where the store lives, for logs and the dashboard (e.g. `redis://host:6379/0`); never holds a password. */
  readonly address?: string;
  /** Releases connections; open subscriptions end. Idempotent. */
  close(): Promise<void>;
}
