import type { Logger } from 'pino';
import { createLogger } from './logger.ts';
import type { LoadedConfig } from './config.ts';
import { Gateway } from './gateway/index.ts';
import { startServer, type SluiceServer } from './grpc/server.ts';
import { serveMetrics } from './metrics/http.ts';
import { Metrics } from './metrics/metrics.ts';
import { createPositionsStore, createRecordsStore } from './stores.ts';

export interface RunningSluice {
  readonly port: number;
  /** The metrics port, when METRICS_PORT is set. */
  readonly metricsPort: number | undefined;
  readonly gateway: Gateway;
  readonly server: SluiceServer;
  /** Graceful stop: see SluiceServer.shutdown. */
  stop(): Promise<void>;
}

/** Builds the stores, the core and the gRPC server from a validated configuration. */
export async function startSluice(config: LoadedConfig, logger: Logger = createLogger(config.gateway.LOG_LEVEL)): Promise<RunningSluice> {
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
  const metrics = new Metrics(gateway);
  let server: SluiceServer;
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    if (settings.METRICS_PORT !== undefined) metricsServer = await serveMetrics(metrics.registry, settings.METRICS_HOST, settings.METRICS_PORT);
    server = await startServer({
      gateway,
      metrics,
      logger: logger.child({ component: 'grpc' }),
      host: settings.GRPC_HOST,
      port: settings.GRPC_PORT,
      tls: { certFile: settings.GRPC_TLS_CERT_FILE, keyFile: settings.GRPC_TLS_KEY_FILE, clientCaFile: settings.GRPC_TLS_CLIENT_CA_FILE },
      limits: {
        maxMessageBytes: settings.GRPC_MAX_MESSAGE_BYTES,
        maxSessionMemoryMiB: settings.GRPC_MAX_SESSION_MEMORY_MIB,
        maxConcurrentStreams: settings.GRPC_MAX_CONCURRENT_STREAMS,
        keepaliveTimeMs: settings.GRPC_KEEPALIVE_TIME_MS,
        keepaliveTimeoutMs: settings.GRPC_KEEPALIVE_TIMEOUT_MS,
      },
    });
  } catch (err) {
    await metricsServer?.close();
    await gateway.close();
    throw err;
  }
  return {
    port: server.port,
    metricsPort: metricsServer?.port,
    gateway,
    server,
    stop: async () => {
      await server.shutdown(settings.SHUTDOWN_GRACE_MS);
      await metricsServer?.close();
    },
  };
}
