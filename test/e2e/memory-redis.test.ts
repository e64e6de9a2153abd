import { inject } from 'vitest';
import { describeGateway } from './suite.ts';

describeGateway('memory records + redis positions', () => ({ POSITIONS_STORE: 'redis', REDIS_URL: inject('redisUrl') }));
