/**
 * The package's main entry. `sluice/client` is the Node.js client; the gateway
 * itself is started with `sluice serve` / `npm start`, or embedded with startSluice().
 */
export * from './client/index.ts';
export { startSluice, type RunningSluice } from './app.ts';
export { loadConfig, ConfigError, type LoadedConfig } from './config.ts';
