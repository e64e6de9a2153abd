import pino, { type Logger } from 'pino';
import type { LoadedConfig } from './config.ts';
import { Gateway } from './gateway/index.ts';
import { startServer, type SluiceServer } from './grpc/server.ts';
import { createPositionsStore, createRecordsStore } from './stores.ts';

export interface RunningSluice {
  readonly port: number;
  readonly gateway: Gateway;
  readonly server: SluiceServer;
  /** Graceful stop: see SluiceServer.shutdown. */
  stop(): Promise<void>;
}

/** Builds the stores, the core and the gRPC server from a validated configuration. */
export async function startSluice(config: LoadedConfig, logger: Logger = pino({ level: config.gateway.LOG_LEVEL })): Promise<RunningSluice> {
  const { gateway: settings, raw } = config;
  const records = await createRecordsStore(settings.RECORDS_STORE, raw, logger);
  let positions;
  try {
    positions = await createPositionsStore(settings.POSITIONS_STORE, raw, logger);
  } catch (err) {
    await records.close();
    throw err;
  }
  const gateway = new Gateway(records, positions, logger.child({ component: 'gateway' }));
  let server: SluiceServer;
  try {
    server = await startServer({
      gateway,
      logger: logger.child({ component: 'grpc' }),
      host: settings.GRPC_HOST,
      port: settings.GRPC_PORT,
      limits: {
        maxMessageBytes: settings.GRPC_MAX_MESSAGE_BYTES,
        maxSessionMemoryMiB: settings.GRPC_MAX_SESSION_MEMORY_MIB,
        maxConcurrentStreams: settings.GRPC_MAX_CONCURRENT_STREAMS,
      },
    });
  } catch (err) {
    await gateway.close();
    throw err;
  }
  return { port: server.port, gateway, server, stop: () => server.shutdown(settings.SHUTDOWN_GRACE_MS) };
}
