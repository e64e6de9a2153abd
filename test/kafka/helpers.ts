import kafkajs, { type Kafka, type KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { inject } from 'vitest';
import { KafkaRecordsStore, plugin } from '../../plugins/kafka-records/index.ts';
import type { PartitionSource } from '../../src/contracts/index.ts';
import { KafkaPartitionSource } from '../../plugins/kafka-records/partition-source.ts';
import { kafkaDriverConfig } from '../support/kafka-driver.ts';
import { uniqueName } from '../support/records.ts';

const { Kafka: KafkaClient, logLevel } = kafkajs;

export const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });

/** A Kafka records store through the plugin (config validated as in production). */
export async function makeStore(config: Record<string, string> = {}, bootstrap = inject('kafkaBootstrap')): Promise<KafkaRecordsStore> {
  const store = await plugin.create({ config: { KAFKA_BOOTSTRAP_SERVERS: bootstrap, KAFKA_TOPIC_PARTITIONS: '4', ...kafkaDriverConfig(), ...config }, logger });
  if (!(store instanceof KafkaRecordsStore)) throw new Error('the kafka plugin did not create a KafkaRecordsStore');
  return store;
}

/** A plain kafkajs client, as any other Kafka application would use. */
export function plainKafka(bootstrap = inject('kafkaBootstrap')): Kafka {
  return new KafkaClient({ clientId: 'sluice-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
}

/** Reads `count` records of `topic` from the beginning with a plain kafkajs consumer. */
export async function readPlain(topic: string, count: number, bootstrap = inject('kafkaBootstrap')): Promise<Array<KafkaMessage & { partition: number }>> {
  const consumer = plainKafka(bootstrap).consumer({ groupId: uniqueName('plain'), maxWaitTimeInMs: 200 });
  const seen: Array<KafkaMessage & { partition: number }> = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`plain consumer got ${seen.length} of ${count} records of ${topic}`)), 20_000);
      void consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            seen.push({ ...message, partition });
            if (seen.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

export function kafkaSource(source: PartitionSource | undefined): KafkaPartitionSource {
  if (!(source instanceof KafkaPartitionSource)) throw new Error('not a Kafka partition source');
  return source;
}

/** A key that Kafka's default partitioner puts in `partition` of `partitions`. */
export { partitionForKey } from '../../src/contracts/index.ts';
