import { inject } from 'vitest';
import { describeRecordFeatures } from './records-suite.ts';

describeRecordFeatures('kafka records + redis positions', () => ({
  RECORDS_STORE: 'kafka',
  KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'),
  POSITIONS_STORE: 'redis',
  REDIS_URL: inject('redisUrl'),
}));
