import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaRecordsConfig } from '../../config.ts';
import type { GroupMemberDriver, MemberEvents, MemberOptions } from '../../driver.ts';
import { subscriptionRoundRobin } from './assigner.ts';
import { registerRawGroup } from './raw-messages.ts';

/**
 * A group member as a kafkajs consumer: `eachBatch` hands each fetched batch
 * over and returns (kafkajs heartbeats only between batches, tulios/kafkajs#1083),
 * GROUP_JOIN reports the assignment, pause / seek + resume control fetching,
 * CRASH is a failure (kafkajs's own restart is off).
 */
export class KafkajsMember implements GroupMemberDriver {
  private readonly consumer: Consumer;
  private assigned = new Set<number>();
  private stopped = false;
  private unregisterRaw: (() => void) | undefined;

  constructor(
    client: Kafka,
    private readonly options: MemberOptions,
    config: KafkaRecordsConfig,
    private readonly logger: Logger,
    /** Whether this member's fetches go raw (raw-messages.ts): its batches then carry columns. */
    private readonly raw = false,
  ) {
    this.consumer = client.consumer({
      groupId: options.group,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      maxBytesPerPartition: config.fetchMaxBytesPerPartition,
      maxBytes: config.fetchMaxBytes,
      maxWaitTimeInMs: config.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
      partitionAssigners: [subscriptionRoundRobin],
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000, restartOnFailure: async () => false },
    });
  }

  async start(events: MemberEvents): Promise<void> {
    const { topic } = this.options;
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const partitions = event.payload.memberAssignment[topic] ?? [];
      // kafkajs keeps pause flags apart from the assignment: clear those of
      // partitions that left (the shared member sets every assigned one's).
      const revoked = [...this.assigned].filter((p) => !partitions.includes(p));
      this.assigned = new Set(partitions);
      if (revoked.length > 0) this.onConsumer(() => this.consumer.resume([{ topic, partitions: revoked }]));
      events.assigned(partitions);
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => events.failed(event.payload.error));
    if (this.raw) this.unregisterRaw = registerRawGroup(this.options.group);
    await this.consumer.connect();
    if (events.closing()) return;
    // Every reader seeks to its own start, so kafkajs's default offset serves
    // only its OFFSET_OUT_OF_RANGE recovery: a reader whose offset fell below
    // the log start (retention, DeleteRecords) goes on at the log start
    // whatever auto_offset_reset says; with the log end it would skip every
    // retained record (issue 9, defect 4).
    await this.consumer.subscribe({ topic, fromBeginning: true });
    if (events.closing()) return;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => this.onBatch(payload, events),
    });
  }

  pause(partition: number): void {
    this.onConsumer(() => this.consumer.pause([{ topic: this.options.topic, partitions: [partition] }]));
  }

  fetchFrom(partition: number, offset: bigint): void {
    const { topic } = this.options;
    this.onConsumer(() => {
      this.consumer.seek({ topic, partition, offset: offset.toString() });
      this.consumer.resume([{ topic, partitions: [partition] }]);
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    try {
      await this.consumer.disconnect();
    } finally {
      this.unregisterRaw?.();
    }
  }

  private async onBatch({ batch, resolveOffset, isStale, isRunning }: EachBatchPayload, events: MemberEvents): Promise<void> {
    // Stale: fetched before a seek of this partition that is still to apply.
    if (this.stopped || isStale() || !isRunning()) return;
    events.fetched(batch.partition, batch, resolveOffset);
  }

  /** Calls kafkajs pause/resume/seek, which throw while the consumer is not running (its state is set again on the next join). */
  private onConsumer(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.logger.debug({ err }, 'consumer not running; partition state is set on the next assignment');
    }
  }
}
