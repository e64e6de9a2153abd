import type { Logger } from 'pino';
import { NotFoundError } from '../../src/contracts/index.ts';
import type { KafkaRecordsConfig } from './config.ts';
import type { AdminDriver, KafkaDriver, PartitionInfo } from './driver.ts';
import { kafkaErrorType, toStoreError } from './errors.ts';

type Admin = AdminDriver;

export interface TopicInfo {
  readonly name: string;
  readonly partitions: readonly PartitionInfo[];
}

export interface Watermarks {
  /** First offset still in the log. */
  low: bigint;
  /** Offset the next record will get. */
  high: bigint;
}

const NOT_THERE = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);
const STALE_METADATA = new Set(['NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH']);

/** Driver errors of a client whose metadata or connection is not ready (yet): worth a new client (kafkajs names; @platformatic/kafka network errors). */
const RETRYABLE_NAMES = new Set(['KafkaJSTopicMetadataNotLoaded', 'KafkaJSMetadataNotLoaded', 'KafkaJSConnectionClosedError', 'KafkaJSConnectionError', 'NetworkError']);
const isWriteAfterEnd = (err: unknown) => (err as { code?: string } | null)?.code === 'ERR_STREAM_WRITE_AFTER_END';

/** How long partition metadata is trusted before it is read again (as Java's metadata.max.age.ms). */
const METADATA_MAX_AGE_MS = 5 * 60_000;

/**
 * Topic administration over one shared admin client of the driver: existence
 * and partition metadata (cached), creation on first use with the configured
 * partitions and replication, watermarks. A failed admin client is dropped
 * and a new one connected on the next call (kafkajs keeps every topic it was
 * asked about in its metadata requests; one that was deleted would fail them all).
 */
export class TopicAdmin {
  private admin: Promise<Admin> | undefined;
  private readonly known = new Map<string, TopicInfo & { fetchedAt: number }>();
  private readonly pending = new Map<string, Promise<TopicInfo>>();
  /** Calls running on each admin client (a dropped one is disconnected after its last). */
  private readonly inUse = new Map<Promise<Admin>, number>();
  private closed = false;

  constructor(
    private readonly driver: KafkaDriver,
    private readonly config: KafkaRecordsConfig,
    private readonly logger: Logger,
  ) {}

  /** Connects and reads the cluster's metadata: fails when Kafka cannot be reached. */
  async check(): Promise<{ brokers: number; clusterId: string }> {
    return this.run('cannot reach the cluster', (admin) => admin.describeCluster());
  }

  /**
   * The topic's metadata; a missing topic is created when `create` is true
   * and KAFKA_AUTO_CREATE_TOPICS allows it, else NotFoundError.
   */
  ensure(topic: string, create = true): Promise<TopicInfo> {
    const cached = this.known.get(topic);
    if (cached && Date.now() - cached.fetchedAt < METADATA_MAX_AGE_MS) return Promise.resolve(cached);
    let pending = this.pending.get(topic);
    if (pending === undefined) {
      pending = this.load(topic, create).finally(() => this.pending.delete(topic));
      this.pending.set(topic, pending);
    }
    return pending;
  }

  /** Forgets cached metadata (after a failure that suggests it is stale). */
  forget(topic: string): void {
    this.known.delete(topic);
  }

  /** The topic's metadata, or null when it does not exist. */
  async describe(topic: string): Promise<TopicInfo | null> {
    try {
      const partitions = await this.run(`cannot read the metadata of topic "${topic}"`, (admin) => admin.topicPartitions(topic), {
        unknownTopicIsError: false,
      });
      if (partitions.length === 0) return null;
      // Not cached until every partition has a leader.
      const info = { name: topic, partitions: [...partitions].sort((a, b) => a.partitionId - b.partitionId), fetchedAt: Date.now() };
      if (info.partitions.every((p) => p.leader >= 0)) this.known.set(topic, info);
      return info;
    } catch (err) {
      // Unknown, or just created and not ready (KRaft brokers learn of a new topic a moment later).
      if (NOT_THERE.has(kafkaErrorType(err) ?? '')) {
        this.known.delete(topic);
        return null;
      }
      throw err;
    }
  }

  /** partition -> low and high watermarks; empty for a topic that does not exist. */
  async watermarks(topic: string): Promise<Map<number, Watermarks>> {
    const result = new Map<number, Watermarks>();
    if (!this.known.has(topic) && (await this.describe(topic)) === null) return result;
    let offsets;
    try {
      offsets = await this.run(`cannot read the offsets of topic "${topic}"`, (admin) => admin.watermarks(topic));
    } catch (err) {
      // Deleted since it was cached.
      if (kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION' && (await this.describe(topic)) === null) return result;
      throw err;
    }
    for (const { partition, low, high } of offsets) result.set(partition, { low, high });
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.close().catch(() => undefined);
  }

  private async load(topic: string, create: boolean): Promise<TopicInfo> {
    const existing = await this.describe(topic);
    if (existing) return existing;
    if (!create || !this.config.autoCreateTopics) {
      throw new NotFoundError(`topic "${topic}" does not exist${create ? ' (KAFKA_AUTO_CREATE_TOPICS is false)' : ''}`);
    }
    // Not the drivers' own wait for leaders (kafkajs's gives up when the
    // broker's metadata does not know the new topic yet, UNKNOWN_TOPIC_OR_PARTITION,
    // which happens right after creation). The wait below covers that.
    const created = await this.run(`cannot create topic "${topic}"`, (admin) =>
      admin.createTopic(topic, this.config.topicPartitions, this.config.topicReplication),
    );
    // false: it already existed (another gateway, or a race); either way it exists now.
    if (created) {
      this.logger.info({ topic, partitions: this.config.topicPartitions, replication: this.config.topicReplication }, 'created topic');
    }
    const deadline = Date.now() + this.config.requestTimeoutMs;
    for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
      const info = await this.describe(topic);
      if (info && info.partitions.every((p) => p.leader >= 0)) return info;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.known.delete(topic);
    throw toStoreError(new Error('no partition leaders yet'), `topic "${topic}" was created but its partitions have no leaders`);
  }

  private connect(): Promise<Admin> {
    if (this.closed) return Promise.reject(toStoreError(new Error('closed'), 'the records store is closed'));
    if (this.admin === undefined) {
      const connected = this.driver.connectAdmin();
      this.admin = connected;
      connected.catch(() => {
        if (this.admin === connected) this.admin = undefined;
      });
    }
    return this.admin;
  }

  /**
   * Runs `call` on the admin client; on failure drops the client (new calls
   * get a new one; the old one is disconnected once its calls are done, not
   * under them) and throws the store error. Failures of a client that is new
   * to a topic (metadata of a topic just created not loaded yet, a leader that
   * moved, a topic deleted since this client asked about it, a connection
   * dropped) are retried a few times with a new client: kafkajs's admin gives
   * up on them at once, and a fresh topic must work on first use, under
   * concurrent calls (issue 9).
   */
  private async run<T>(what: string, call: (admin: Admin) => Promise<T>, options: { unknownTopicIsError?: boolean } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const connecting = this.connect();
      this.inUse.set(connecting, (this.inUse.get(connecting) ?? 0) + 1);
      try {
        return await call(await connecting);
      } catch (err) {
        const type = kafkaErrorType(err) ?? '';
        const expected = options.unknownTopicIsError === false && NOT_THERE.has(type);
        if (expected) throw err;
        if (this.admin === connecting) this.admin = undefined;
        const name = (err as { name?: string }).name ?? '';
        const retriedAlready = name === 'KafkaJSNumberOfRetriesExceeded';
        const retryable =
          STALE_METADATA.has(type) ||
          RETRYABLE_NAMES.has(name) ||
          (type === 'UNKNOWN_TOPIC_OR_PARTITION' && attempt === 1) ||
          isWriteAfterEnd(err) ||
          // kafkajs's fetchTopicOffsets throws a TypeError ("Cannot destructure property 'partitions' of
          // 'low.pop(...)'") when its metadata has no leader for the topic's partitions, seen while the same
          // admin created another topic (a group's retry topic, issue 12): a new client reads fresh metadata.
          err instanceof TypeError;
        if (!retryable || retriedAlready || attempt >= 5 || this.closed) throw toStoreError(err, what);
        this.logger.debug({ attempt, err: (err as Error).message, what }, 'admin call failed; retrying with a new client');
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      } finally {
        this.release(connecting);
      }
    }
  }

  /** One call less on `admin`; a dropped client is disconnected after its last call. */
  private release(admin: Promise<Admin>): void {
    const uses = (this.inUse.get(admin) ?? 1) - 1;
    if (uses > 0) {
      this.inUse.set(admin, uses);
      return;
    }
    this.inUse.delete(admin);
    if (this.admin !== admin) void admin.then((a) => a.close()).catch(() => undefined);
  }
}
