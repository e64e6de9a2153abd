import { startSluice } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

/** Starts the gateway from the environment; stops it gracefully on SIGTERM / SIGINT. */
export async function main(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    exitWithConfigError(err);
  }
  const logger = createLogger(config.gateway.LOG_LEVEL);
  let sluice;
  try {
    sluice = await startSluice(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) exitWithConfigError(err);
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  }
  logger.info(
    { host: config.gateway.GRPC_HOST, port: sluice.port, records: config.gateway.RECORDS_STORE, positions: config.gateway.POSITIONS_STORE },
    `sluice listening on ${config.gateway.GRPC_HOST}:${sluice.port}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceMs: config.gateway.SHUTDOWN_GRACE_MS }, 'shutting down');
    sluice.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function exitWithConfigError(err: unknown): never {
  const message = err instanceof ConfigError ? err.message : String(err);
  process.stderr.write(`sluice: invalid configuration: ${message}\n`);
  process.exit(2);
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntryPoint) void main();
