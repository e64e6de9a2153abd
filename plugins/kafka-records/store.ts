import type { Logger } from 'pino';
import {
  UnavailableError,
  type Envelope,
  type PublishResult,
  type RecordsStore,
  type SubscribeOptions,
  type Subscription,
} from '../../src/contracts/index.ts';
import type { KafkaRecordsConfig } from './config.ts';
import { createKafkaClient } from './kafka-client.ts';
import { KafkaGroupMember } from './member.ts';
import { Publisher } from './producer.ts';
import { TopicAdmin } from './topics.ts';

/** Records in Apache Kafka (RECORDS_STORE=kafka), through kafkajs. */
export class KafkaRecordsStore implements RecordsStore {
  readonly topics: TopicAdmin;
  private readonly publisher: Publisher;
  private readonly members = new Set<KafkaGroupMember>();
  private closing: Promise<void> | undefined;
  /** The bootstrap servers (KAFKA_BOOTSTRAP_SERVERS holds no credentials). */
  readonly address: string;

  constructor(
    readonly config: KafkaRecordsConfig,
    private readonly logger: Logger,
  ) {
    this.address = config.brokers.join(',');
    this.topics = new TopicAdmin(createKafkaClient(config, logger, 'admin'), config, logger);
    this.publisher = new Publisher(createKafkaClient(config, logger, 'producer'), this.topics, logger);
  }

  /** A store whose cluster answered: throws UnavailableError when Kafka cannot be reached. */
  static async connect(config: KafkaRecordsConfig, logger: Logger): Promise<KafkaRecordsStore> {
    const store = new KafkaRecordsStore(config, logger);
    try {
      const cluster = await store.topics.check();
      logger.info({ brokers: config.brokers, clusterId: cluster.clusterId }, 'records store "kafka": connected');
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  publish(envelope: Envelope): Promise<PublishResult> {
    this.ensureOpen();
    return this.publisher.publish(envelope);
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.ensureOpen();
    const member = new KafkaGroupMember(options, {
      // One client per member: kafkajs shares committed-offset state among a client's consumers.
      client: createKafkaClient(this.config, this.logger, 'consumer'),
      topics: this.topics,
      config: this.config,
      logger: this.logger,
      onGone: (gone) => this.members.delete(gone),
    });
    this.members.add(member);
    return member;
  }

  async getEndOffsets(topic: string): Promise<ReadonlyMap<number, bigint>> {
    this.ensureOpen();
    const result = new Map<number, bigint>();
    for (const [partition, { high }] of await this.topics.watermarks(topic)) {
      // high is the offset the next record gets; 0 means never written.
      if (high > 0n) result.set(partition, high - 1n);
    }
    return new Map([...result].sort(([a], [b]) => a - b));
  }

  /** Reads the cluster's metadata (describeCluster) over the shared admin client. */
  async ping(): Promise<void> {
    this.ensureOpen();
    await this.topics.check();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.members].map((member) => member.close()));
      await this.publisher.close();
      await this.topics.close();
    })();
    return this.closing;
  }

  private ensureOpen(): void {
    if (this.closing) throw new UnavailableError('the Kafka records store is closed');
  }
}
