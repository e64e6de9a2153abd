/**
 * The seam between the Kafka records store and a Kafka client library
 * (KAFKA_DRIVER). Everything above it is shared by every driver: partition
 * buffers and backpressure (partition-source.ts), the rebalance bookkeeping of
 * a group member (member.ts), CloudEvents mapping (cloudevents.ts), murmur2
 * partitioning and publish batching (producer.ts), topic metadata, creation
 * and its retries (topics.ts), error mapping (errors.ts). A driver only moves
 * bytes: one group member's fetches, produce requests, admin requests.
 */

import type { FetchedColumns } from './record-columns.ts';

/**
 * A fetched record. The shape is kafkajs's KafkaMessage (kafkajs hands its
 * own messages over as they are); another driver builds it from its records.
 * Any header value may be null (the Java producer writes null values).
 */
export interface FetchedMessage {
  /** The offset: decimal (kafkajs), or a bigint (no string per record for a driver that has one). */
  offset: string | bigint;
  /** Milliseconds since the epoch: decimal (kafkajs), or a bigint. */
  timestamp: string | bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | null | undefined>;
}

/** The records of one partition from one fetch. */
export interface FetchedBatch {
  /** Not read when `columns` is set (a driver's batch may then hold only its length). */
  readonly messages: readonly FetchedMessage[];
  /** The same records indexed in place (record-columns.ts), from a driver that can: read instead of `messages`. */
  readonly columns?: FetchedColumns;
  /** The offset of the batch's last entry (records, control records, aborted transactions): the next fetch starts after it. */
  lastOffset(): string;
}

/** What a group member's driver tells the shared member (never awaited; each must not throw into the driver). */
export interface MemberEvents {
  /** The member's whole assignment on its topic, after every rebalance (also when it did not change). */
  assigned(partitions: readonly number[]): void;
  /** Records fetched for an assigned partition that is not paused. `resolveOffset` marks the batch as taken up to an offset. */
  fetched(partition: number, batch: FetchedBatch, resolveOffset: (offset: string) => void): void;
  /** The member cannot go on (the driver gave up); called at most once. */
  failed(err: unknown): void;
  /** Whether the member is closing or gone: start() stops early (close() follows once start() is done). */
  closing(): boolean;
}

/** One member of one consumer group on one topic, with per-partition fetch control. */
export interface GroupMemberDriver {
  /** Joins the group and fetches until close() (or failure, reported through events.failed). */
  start(events: MemberEvents): Promise<void>;
  /** Stops fetching the partition; the member keeps heartbeating. */
  pause(partition: number): void;
  /** Fetches the partition from `offset` on. */
  fetchFrom(partition: number, offset: bigint): void;
  /** Leaves the group (at once: the other members rebalance without waiting for a session timeout). */
  close(): Promise<void>;
}

export interface MemberOptions {
  topic: string;
  group: string;
}

/** A record to produce, its partition already chosen (murmur2 in producer.ts). */
export interface ProducedRecord {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string>;
}

export interface ProducerDriver {
  /**
   * One produce request (idempotent, acks=all) of records from several
   * publish calls; resolves with the base offset of each topic-partition
   * written, keyed `${topic}\u0000${partition}`.
   */
  send(records: readonly ProducedRecord[]): Promise<Map<string, bigint>>;
  close(): Promise<void>;
}

export interface PartitionInfo {
  partitionId: number;
  /** The leader's node id; negative when the partition has none. */
  leader: number;
}

export interface AdminDriver {
  describeCluster(): Promise<{ clusterId: string; brokers: number }>;
  /** The topic's partitions; throws an error of type UNKNOWN_TOPIC_OR_PARTITION (errors.ts kafkaErrorType) when it does not exist. */
  topicPartitions(topic: string): Promise<PartitionInfo[]>;
  /** false when it already existed. */
  createTopic(topic: string, partitions: number, replication: number): Promise<boolean>;
  /** Low (log start) and high (next offset) watermarks of each partition. */
  watermarks(topic: string): Promise<Array<{ partition: number; low: bigint; high: bigint }>>;
  close(): Promise<void>;
}

/** A Kafka client library behind the store. */
export interface KafkaDriver {
  readonly name: 'kafkajs' | 'platformatic';
  /** A connected admin client (the store drops one that failed and connects another). */
  connectAdmin(): Promise<AdminDriver>;
  /** A connected idempotent producer (replaced after a failed request). */
  connectProducer(): Promise<ProducerDriver>;
  /** A group member, not started. */
  createMember(options: MemberOptions): GroupMemberDriver;
}
