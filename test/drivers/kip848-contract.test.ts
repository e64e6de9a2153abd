import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { plugin } from '../../plugins/kafka-records/index.ts';
import { describeRecordsStore } from '../contract/records.ts';
import { startKafkaBroker, type KafkaBrokerHandle } from '../support/kafka.ts';

/**
 * The records store contract with the KIP-848 consumer group protocol
 * (KAFKA_DRIVER=platformatic, KAFKA_GROUP_PROTOCOL=consumer) on an own Kafka
 * 4.x broker (KIP848_KAFKA_VERSION, default 4.1.2; `.ci/run` fetches its jars).
 * The broker's consumer-group session and heartbeat are set as Sluice's
 * classic defaults would be (1 s heartbeats): its own defaults (5 s) only
 * make members learn of assignments later.
 */
const VERSION = process.env.KIP848_KAFKA_VERSION ?? '4.1.2';
let broker: KafkaBrokerHandle;

beforeAll(async () => {
  broker = await startKafkaBroker({
    version: VERSION,
    properties: {
      'group.consumer.session.timeout.ms': '10000',
      'group.consumer.min.session.timeout.ms': '10000',
      'group.consumer.heartbeat.interval.ms': '1000',
      'group.consumer.min.heartbeat.interval.ms': '1000',
    },
  });
}, 240_000);
afterAll(async () => {
  await broker?.destroy();
}, 60_000);

describeRecordsStore(`kafka ${VERSION} (platformatic, KIP-848 consumer protocol)`, () =>
  plugin.create({
    config: {
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap,
      KAFKA_TOPIC_PARTITIONS: '4',
      KAFKA_DRIVER: 'platformatic',
      KAFKA_GROUP_PROTOCOL: 'consumer',
    },
    logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }),
  }),
);
