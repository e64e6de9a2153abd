import { inject } from 'vitest';
import { describeRetry } from './retry-suite.ts';

describeRetry('kafka records + redis positions', () => ({
  RECORDS_STORE: 'kafka',
  KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'),
  POSITIONS_STORE: 'redis',
  REDIS_URL: inject('redisUrl'),
}));
