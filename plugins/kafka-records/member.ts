import type { Logger } from 'pino';
import { BehaviorSubject, type Observable } from 'rxjs';
import { UnavailableError, type PartitionSource, type SubscribeOptions, type Subscription } from '../../src/contracts/index.ts';
import type { KafkaRecordsConfig } from './config.ts';
import type { FetchedBatch, GroupMemberDriver, KafkaDriver } from './driver.ts';
import { toStoreError } from './errors.ts';
import { KafkaPartitionSource, type PartitionControl } from './partition-source.ts';
import type { TopicAdmin } from './topics.ts';

export interface GroupMemberDeps {
  driver: KafkaDriver;
  topics: TopicAdmin;
  config: KafkaRecordsConfig;
  logger: Logger;
  /** Called once when the member is gone (closed or failed). */
  onGone(member: KafkaGroupMember): void;
}

/**
 * One subscription = one driver group member (a kafkajs consumer, or a
 * @platformatic/kafka consumer) = one member of Kafka consumer group
 * `options.group` on `options.topic`. Subscriptions of one group name on
 * different topics share the Kafka group; each member is assigned partitions
 * of its own topic only (drivers/<name>/assigner.ts; with KIP-848 the broker), and a join or leave on one topic
 * rebalances them all (kept partitions keep their readers).
 *
 * - Positions come from the gateway (startOffsets), never from Kafka's
 *   committed offsets: autoCommit is off, every reader seeks.
 * - After every rebalance the member's whole assignment is
 *   emitted; a partition kept by this member keeps its source (its reader goes
 *   on where it was), a partition that moved away ends its reader, a new one
 *   gets a new source. Each partition's pause flag and position are set again
 *   then (kafkajs keeps pause flags across rebalances and drops positions).
 * - Fetched records are handed to the partition's buffer without waiting,
 *   so heartbeats go on whatever the readers do.
 * - A driver failure (kafkajs CRASH; it is not restarted) ends the
 *   subscription: `assignments` errors and readers throw UnavailableError.
 */
export class KafkaGroupMember implements Subscription {
  readonly assignments: Observable<readonly PartitionSource[]>;
  private readonly subject = new BehaviorSubject<readonly PartitionSource[]>([]);
  private readonly sources = new Map<number, KafkaPartitionSource>();
  private readonly consumer: GroupMemberDriver;
  private readonly started: Promise<void>;
  private readonly control: PartitionControl;
  private closing: Promise<void> | undefined;
  private gone = false;
  private readonly logger: Logger;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly deps: GroupMemberDeps,
  ) {
    const { topic, group } = options;
    this.logger = deps.logger.child({ topic, group });
    this.assignments = this.subject.asObservable();
    this.consumer = deps.driver.createMember({ topic, group });
    this.control = {
      pause: (partition) => this.consumer.pause(partition),
      fetchFrom: (partition, offset) => this.consumer.fetchFrom(partition, offset),
      startOffset: (partition) => this.startOffset(partition),
    };
    this.started = this.start();
  }

  /** The sources currently assigned (for tests and diagnostics). */
  get current(): readonly KafkaPartitionSource[] {
    return [...this.sources.values()];
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasGone = this.gone;
      this.gone = true;
      for (const source of this.sources.values()) source.revoke();
      this.sources.clear();
      if (!wasGone) this.subject.complete();
      await this.started;
      await this.consumer.close().catch((err: unknown) => this.logger.debug({ err }, 'consumer close failed'));
      if (!wasGone) this.deps.onGone(this);
    })();
    return this.closing;
  }

  private async start(): Promise<void> {
    const { topic, group } = this.options;
    try {
      await this.deps.topics.ensure(topic);
      if (this.gone) return;
      await this.consumer.start({
        assigned: (partitions) => this.onJoin(partitions),
        fetched: (partition, batch, resolveOffset) => this.onBatch(partition, batch, resolveOffset),
        failed: (err) => this.fail(toStoreError(err, `the consumer of group "${group}" on topic "${topic}" failed`)),
        closing: () => this.gone,
      });
    } catch (err) {
      this.fail(toStoreError(err, `cannot join group "${group}" on topic "${topic}"`));
    }
  }

  /** Runs from inside the driver's join: must not throw (it would abort the join). */
  private onJoin(partitions: readonly number[]): void {
    if (this.gone) return;
    try {
      const assigned = new Set(partitions);
      const revoked: number[] = [];
      for (const [partition, source] of this.sources) {
        if (assigned.has(partition)) continue;
        source.revoke();
        this.sources.delete(partition);
        revoked.push(partition);
      }
      for (const partition of assigned) {
        if (!this.sources.has(partition)) {
          this.sources.set(
            partition,
            new KafkaPartitionSource(partition, this.options.topic, this.control, {
              records: this.deps.config.partitionBufferRecords,
              bytes: this.deps.config.partitionBufferBytes,
              maxBytes: this.deps.config.partitionBufferMaxBytes,
              coverMs: this.deps.config.fetchMaxWaitMs,
              releaseMs: this.deps.config.partitionBufferReleaseMs,
            }, (message, err) =>
              this.logger.warn({ partition, offset: message.offset, err }, 'record delivered without its headers: they could not be read'),
            ),
          );
        }
      }
      // Every assigned partition's fetch state is set explicitly (kafkajs keeps pause flags apart from the assignment).
      for (const source of this.sources.values()) source.reapply();
      const sources = [...this.sources.values()].sort((a, b) => a.partition - b.partition);
      this.logger.debug({ partitions: sources.map((s) => s.partition), revoked }, 'assignment');
      this.subject.next(sources);
    } catch (err) {
      queueMicrotask(() => this.fail(toStoreError(err, 'cannot apply an assignment')));
    }
  }

  private onBatch(partition: number, batch: FetchedBatch, resolveOffset: (offset: string) => void): void {
    if (this.gone) return;
    const source = this.sources.get(partition);
    try {
      source?.offer(batch, resolveOffset);
    } catch (err) {
      // An exception here would crash the consumer (and the next member the
      // same way): only this partition's reader fails; it is read again when
      // a reader comes back.
      this.logger.error({ err, partition }, 'cannot take a fetched batch');
      source?.fail(toStoreError(err, `cannot read partition ${partition}`));
    }
  }

  private async startOffset(partition: number): Promise<bigint> {
    const [stored, watermarks] = await Promise.all([this.options.startOffsets([partition]), this.deps.topics.watermarks(this.options.topic)]);
    const marks = watermarks.get(partition);
    if (marks === undefined) {
      // Unknown offsets (the topic was deleted, or metadata is stale): guessing
      // 0 would replay or skip; the reader retries instead.
      this.deps.topics.forget(this.options.topic);
      throw new UnavailableError(`cannot read the offsets of partition ${partition} of topic "${this.options.topic}"; receive again`);
    }
    const { low, high } = marks;
    const position = stored.get(partition);
    if (position !== undefined) {
      // Below the log start (deleted by retention): the oldest record left.
      if (position < low) return low;
      if (position <= high) return position;
    }
    return this.options.autoOffsetReset === 'earliest' ? low : high;
  }

  private fail(error: Error): void {
    if (this.gone) return;
    this.gone = true;
    this.logger.warn({ err: error.message }, 'subscription failed');
    for (const source of this.sources.values()) source.fail(error);
    this.sources.clear();
    this.subject.error(error);
    this.closing = this.started.then(() => this.consumer.close().catch(() => undefined));
    this.deps.onGone(this);
  }
}
