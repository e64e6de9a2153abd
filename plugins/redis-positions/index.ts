import type { PositionsStorePlugin } from '../../src/contracts/index.ts';
import { parseRedisUrl } from './config.ts';
import { RedisPositionsStore } from './store.ts';

export { RedisPositionsStore, type RedisPositionsStoreOptions } from './store.ts';
export { parseRedisUrl, type RedisConnection } from './config.ts';

/**
 * POSITIONS_STORE=redis. Config: REDIS_URL (required), e.g.
 * redis://127.0.0.1:6379, redis://:password@host:6379/0, rediss://host:6380 (TLS).
 */
export const plugin: PositionsStorePlugin = {
  kind: 'positions',
  name: 'redis',
  async create({ config, logger }) {
    const connection = parseRedisUrl(config.REDIS_URL);
    const store = await RedisPositionsStore.connect({ connection, logger });
    logger.info({ redis: connection.display }, 'positions store "redis": connected');
    return store;
  },
};

export default plugin;
