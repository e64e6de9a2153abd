import type { Logger } from 'pino';
import type { PositionsStore } from './positions.ts';
import type { RecordsStore } from './records.ts';

/**
 * What a plugin receives: the whole validated configuration as environment-style
 * keys (a plugin validates its own keys) and a logger.
 */
export interface PluginContext {
  config: Readonly<Record<string, string | undefined>>;
  logger: Logger;
}

export interface RecordsStorePlugin {
  kind: 'records';
  name: string;
  create(context: PluginContext): Promise<RecordsStore>;
}

export interface PositionsStorePlugin {
  kind: 'positions';
  name: string;
  create(context: PluginContext): Promise<PositionsStore>;
}

export type StorePlugin = RecordsStorePlugin | PositionsStorePlugin;
