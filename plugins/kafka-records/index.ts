import type { RecordsStorePlugin } from '../../src/contracts/index.ts';
import { parseKafkaConfig } from './config.ts';
import { KafkaRecordsStore } from './store.ts';

export { KafkaRecordsStore } from './store.ts';
export { parseKafkaConfig, type KafkaRecordsConfig } from './config.ts';

/**
 * RECORDS_STORE=kafka. Config: KAFKA_BOOTSTRAP_SERVERS (required), KAFKA_DRIVER (platformatic or kafkajs), KAFKA_TOPIC_PARTITIONS,
 * KAFKA_TOPIC_REPLICATION, KAFKA_AUTO_CREATE_TOPICS, KAFKA_SASL_* / KAFKA_SSL_* (docs/kafka-drivers.md) and the knobs in config.ts
 * (see README.md). Kafka unreachable at start fails the start with UNAVAILABLE.
 */
export const plugin: RecordsStorePlugin = {
  kind: 'records',
  name: 'kafka',
  async create({ config, logger }) {
    return KafkaRecordsStore.connect(parseKafkaConfig(config), logger);
  },
};

export default plugin;
