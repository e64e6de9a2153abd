import { z } from 'zod';
import { InvalidArgumentError, type RecordsStorePlugin } from '../../src/contracts/index.ts';
import { MemoryRecordsStore } from './store.ts';

export { MemoryRecordsStore } from './store.ts';

const Config = z.object({
  MEMORY_PARTITIONS: z.coerce.number().int().min(1).max(10_000).default(32),
});

export const plugin: RecordsStorePlugin = {
  kind: 'records',
  name: 'memory',
  async create({ config, logger }) {
    const parsed = Config.safeParse(config);
    if (!parsed.success) {
      throw new InvalidArgumentError('MEMORY_PARTITIONS', 'must be an integer from 1 to 10000');
    }
    logger.warn(
      { partitions: parsed.data.MEMORY_PARTITIONS },
      'records store "memory": records live in this process only and are NOT durable; use RECORDS_STORE=kafka in production',
    );
    return new MemoryRecordsStore(parsed.data.MEMORY_PARTITIONS);
  },
};

export default plugin;
