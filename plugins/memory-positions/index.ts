import type { PositionsStorePlugin } from '../../src/contracts/index.ts';
import { MemoryPositionsStore } from './store.ts';

export { MemoryPositionsStore } from './store.ts';

export const plugin: PositionsStorePlugin = {
  kind: 'positions',
  name: 'memory',
  async create({ logger }) {
    logger.warn(
      'positions store "memory": acked positions live in this process only and are NOT durable; ' +
        'every group restarts from auto_offset_reset after a restart. Use POSITIONS_STORE=redis in production',
    );
    return new MemoryPositionsStore();
  },
};

export default plugin;
