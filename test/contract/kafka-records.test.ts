import pino from 'pino';
import { inject } from 'vitest';
import { plugin } from '../../plugins/kafka-records/index.ts';
import { describeRecordsStore } from './records.ts';

describeRecordsStore('kafka', () =>
  plugin.create({
    config: { KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'), KAFKA_TOPIC_PARTITIONS: '4' },
    logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }),
  }),
);
