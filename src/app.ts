import type { Logger } from 'pino';
import { createLogger } from './logger.ts';
import type { LoadedConfig } from './config.ts';
import { Gateway } from './gateway/index.ts';
import { startServer, type SluiceServer } from './grpc/server.ts';
import { serveAdmin, type AdminServer, type Route } from './admin/server.ts';
import { healthRoutes } from './admin/health-routes.ts';
import { HealthMonitor } from './health/monitor.ts';
import { Metrics } from './metrics/metrics.ts';
import { createPositionsStore, createRecordsStore } from './stores.ts';

export interface RunningSluice {
  readonly port: number;
  /** The admin port (metrics, health, dashboard), when METRICS_PORT is set. */
  readonly metricsPort: number | undefined;
  readonly gateway: Gateway;
  readonly health: HealthMonitor;
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
  const health = new HealthMonitor(
    { records, positions },
    { intervalMs: settings.HEALTH_INTERVAL_MS, timeoutMs: settings.HEALTH_TIMEOUT_MS },
    logger.child({ component: 'health' }),
  );
  let server: SluiceServer;
  let metricsServer: AdminServer | undefined;
  try {
    if (settings.METRICS_PORT !== undefined) {
      const routes: Record<string, Route> = {
        '/metrics': async (_request, response) => {
          const body = await metrics.registry.metrics();
          response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
        },
        ...healthRoutes(health),
      };
      metricsServer = await serveAdmin(routes, settings.METRICS_HOST, settings.METRICS_PORT);
    }
    server = await startServer({
      readiness: health.readiness,
      gateway,
      metrics,
      logger: logger.child({ component: 'grpc' }),
      host: settings.GRPC_HOST,
      port: settings.GRPC_PORT,
      batchedRpcs: settings.GRPC_BATCHED_RPCS,
      tls: { certFile: settings.GRPC_TLS_CERT_FILE, keyFile: settings.GRPC_TLS_KEY_FILE, clientCaFile: settings.GRPC_TLS_CLIENT_CA_FILE },
      limits: {
        maxMessageBytes: settings.GRPC_MAX_MESSAGE_BYTES,
        maxSessionMemoryMiB: settings.GRPC_MAX_SESSION_MEMORY_MIB,
        maxConcurrentStreams: settings.GRPC_MAX_CONCURRENT_STREAMS,
      },
    });
  } catch (err) {
    health.stop();
    await metricsServer?.close();
    await gateway.close();
    throw err;
  }
  health.start();
  return {
    port: server.port,
    metricsPort: metricsServer?.port,
    gateway,
    health,
    server,
    stop: async () => {
      // Not ready first, so that load balancers stop sending work while open calls drain.
      health.beginShutdown();
      await server.shutdown(settings.SHUTDOWN_GRACE_MS);
      health.stop();
      await metricsServer?.close();
    },
  };
}
