import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { startSluice, type RunningSluice } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { applyHeapGrowth } from './heap-growth.ts';
import { createLogger } from './logger.ts';
import { describeStartup } from './startup-log.ts';

/** Starts the gateway from the environment; stops it gracefully on SIGTERM / SIGINT. */
export async function main(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    exitWithConfigError(err);
  }
  const logger = createLogger(config.gateway.LOG_LEVEL);
  const heapGrowth = applyHeapGrowth(config.gateway.HEAP_GROWING_PERCENT);
  if (heapGrowth !== undefined) logger.info({ flag: heapGrowth }, `V8 heap growth set: ${heapGrowth} (HEAP_GROWING_PERCENT)`);
  // grpc-js's own log lines ("E No address added ...") go to our log, not raw to stderr.
  grpc.setLogger({ error: (...args: unknown[]) => logger.warn({ source: 'grpc-js' }, format(...args)) });
  // Signals are handled from the very start: one that arrives while the stores
  // connect stops the gateway as soon as it is up, never kills it half-started.
  const signals = new SignalHandling(logger, config.gateway.SHUTDOWN_GRACE_MS);
  let sluice;
  try {
    sluice = await startSluice(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) exitWithConfigError(err);
    if (/EADDRINUSE/.test(err instanceof Error ? err.message : '')) {
      const { GRPC_HOST, GRPC_PORT } = config.gateway;
      process.stderr.write(`sluice: cannot listen on ${GRPC_HOST}:${GRPC_PORT}: the port is already in use (set GRPC_PORT to a free one)\n`);
      process.exit(1);
    }
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  }
  const startup = describeStartup(config.gateway, sluice);
  logger.info(startup.fields, startup.message);
  signals.started(sluice);
}

/** SIGTERM / SIGINT: graceful stop; a second signal exits at once. */
class SignalHandling {
  private sluice: RunningSluice | undefined;
  private requested: NodeJS.Signals | undefined;
  private stopping = false;

  constructor(
    private readonly logger: Logger,
    private readonly graceMs: number,
  ) {
    const onSignal = (signal: NodeJS.Signals) => this.onSignal(signal);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  started(sluice: RunningSluice): void {
    this.sluice = sluice;
    if (this.requested !== undefined) this.stop(this.requested);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.stopping || this.requested !== undefined) {
      this.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    if (this.sluice === undefined) {
      this.requested = signal;
      this.logger.info({ signal }, 'stopping once started');
      return;
    }
    this.stop(signal);
  }

  private stop(signal: NodeJS.Signals): void {
    this.stopping = true;
    this.logger.info({ signal, graceMs: this.graceMs }, 'shutting down');
    this.sluice!.stop().then(
      () => {
        this.logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        this.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
}

function exitWithConfigError(err: unknown): never {
  const message = err instanceof ConfigError ? err.message : String(err);
  process.stderr.write(`sluice: invalid configuration: ${message}\n`);
  process.exit(2);
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntryPoint) void main();
