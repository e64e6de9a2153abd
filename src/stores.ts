import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { InvalidArgumentError } from './contracts/index.ts';
import type { PositionsStore, RecordsStore, StorePlugin } from './contracts/index.ts';
import { ConfigError } from './config.ts';

// Built-in stores by name; anything else is a module path or package name.
const BUILT_IN: Record<StorePlugin['kind'], Record<string, string>> = {
  records: { memory: '../plugins/memory-records/index.ts', kafka: '../plugins/kafka-records/index.ts' },
  positions: { memory: '../plugins/memory-positions/index.ts', redis: '../plugins/redis-positions/index.ts' },
};

const KEY: Record<StorePlugin['kind'], string> = { records: 'RECORDS_STORE', positions: 'POSITIONS_STORE' };

async function loadPlugin(kind: StorePlugin['kind'], name: string): Promise<StorePlugin> {
  const key = KEY[kind];
  const builtIn = BUILT_IN[kind][name];
  const specifier = builtIn
    ? new URL(builtIn, import.meta.url).href
    : name.startsWith('.') || isAbsolute(name)
      ? pathToFileURL(resolve(name)).href
      : name;
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    const choices = Object.keys(BUILT_IN[kind]).join(', ');
    throw new ConfigError(key, `cannot load store "${name}" (${(err as Error).message}); use one of ${choices} or a module path`);
  }
  const plugin = (module.plugin ?? module.default) as Partial<StorePlugin> | undefined;
  if (!plugin || plugin.kind !== kind || typeof plugin.create !== 'function') {
    throw new ConfigError(key, `module "${name}" does not export a ${kind} store plugin ({ kind: '${kind}', name, create })`);
  }
  return plugin as StorePlugin;
}

async function create(kind: StorePlugin['kind'], name: string, config: Readonly<Record<string, string | undefined>>, logger: Logger) {
  const plugin = await loadPlugin(kind, name);
  try {
    return await plugin.create({ config, logger: logger.child({ store: `${kind}:${plugin.name}` }) });
  } catch (err) {
    // A plugin names its bad configuration key as the error's field.
    if (err instanceof InvalidArgumentError) throw new ConfigError(err.field, err.reason);
    throw err;
  }
}

export async function createRecordsStore(name: string, config: Readonly<Record<string, string | undefined>>, logger: Logger): Promise<RecordsStore> {
  return (await create('records', name, config, logger)) as RecordsStore;
}

export async function createPositionsStore(
  name: string,
  config: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): Promise<PositionsStore> {
  return (await create('positions', name, config, logger)) as PositionsStore;
}
