import pino from 'pino';
import { inject } from 'vitest';
import { plugin } from '../../plugins/kafka-records/index.ts';
import { kafkaDriverConfig, kafkaDrivers } from '../support/kafka-driver.ts';
import { describeRecordsStore } from './records.ts';

for (const driver of kafkaDrivers()) {
  describeRecordsStore(`kafka (${driver})`, () =>
    plugin.create({
      config: { KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'), KAFKA_TOPIC_PARTITIONS: '4', ...kafkaDriverConfig(driver) },
      logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }),
    }),
  );
}
