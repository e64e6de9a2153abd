import type { Logger } from 'pino';
import {
  UnavailableError,
  type Envelope,
  type PublishResult,
  type RecordsStore,
  type SubscribeOptions,
  type Subscription,
} from '../../src/contracts/index.ts';
import type { KafkaDriverName, KafkaRecordsConfig } from './config.ts';
import type { KafkaDriver } from './driver.ts';
import { kafkajsDriver } from './drivers/kafkajs/index.ts';
import { platformaticDriver } from './drivers/platformatic/index.ts';
import { KafkaGroupMember } from './member.ts';
import { Publisher } from './producer.ts';
import { TopicAdmin } from './topics.ts';

function createDriver(name: KafkaDriverName, config: KafkaRecordsConfig, logger: Logger): KafkaDriver {
  return name === 'platformatic' ? platformaticDriver(config, logger) : kafkajsDriver(config, logger);
}

/** Records in Apache Kafka (RECORDS_STORE=kafka), through the driver KAFKA_DRIVER names (kafkajs or @platformatic/kafka). */
export class KafkaRecordsStore implements RecordsStore {
  readonly topics: TopicAdmin;
  readonly driver: KafkaDriver;
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
    this.driver = createDriver(config.driver, config, logger);
    this.topics = new TopicAdmin(this.driver, config, logger);
    // Publishing may go through the other library (KAFKA_PRODUCER_DRIVER): its producer alone is used.
    const producerDriver = config.producerDriver === config.driver ? this.driver : createDriver(config.producerDriver, config, logger);
    this.publisher = new Publisher(producerDriver, this.topics, logger);
  }

  /** A store whose cluster answered: throws UnavailableError when Kafka cannot be reached. */
  static async connect(config: KafkaRecordsConfig, logger: Logger): Promise<KafkaRecordsStore> {
    const store = new KafkaRecordsStore(config, logger);
    try {
      const cluster = await store.topics.check();
      logger.info({ brokers: config.brokers, clusterId: cluster.clusterId, driver: config.driver, producerDriver: config.producerDriver, groupProtocol: config.groupProtocol }, 'records store "kafka": connected');
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

  publishBatch(envelopes: readonly Envelope[]): Promise<PublishResult[]> {
    this.ensureOpen();
    return this.publisher.publishMany(envelopes);
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.ensureOpen();
    const member = new KafkaGroupMember(options, {
      driver: this.driver,
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
