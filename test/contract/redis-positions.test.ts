import pino from 'pino';
import { inject } from 'vitest';
import { plugin } from '../../plugins/redis-positions/index.ts';
import { describePositionsStore } from './positions.ts';

const open = () => plugin.create({ config: { REDIS_URL: inject('redisUrl') }, logger: pino({ level: 'silent' }) });

describePositionsStore('redis', open, open);
