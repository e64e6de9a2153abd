import type { Logger } from 'pino';
import { createLogger } from './logger.ts';
import type { LoadedConfig } from './config.ts';
import { Gateway } from './gateway/index.ts';
import { startServer, type SluiceServer } from './grpc/server.ts';
import { serveAdmin, type AdminServer, type Route } from './admin/server.ts';
import { healthRoutes } from './admin/health-routes.ts';
import { Dashboard } from './admin/dashboard.ts';
import { DashboardView } from './admin/dashboard-state.ts';
import { HealthMonitor } from './health/monitor.ts';
import { hostname } from 'node:os';
import { LagReader } from './metrics/lag.ts';
import { loadPublishValidator, schemaUpdates } from './validation/index.ts';
import { InternalTopics, loadSecurityPolicy, parsePatternList, securityPolicyUpdates } from './auth/index.ts';
import { Metrics } from './metrics/metrics.ts';
import { logUnhandledRxjsErrors } from './rxjs-errors.ts';
import { VERSION } from './version.ts';
import { createPositionsStore, createRecordsStore } from './stores.ts';

export interface RunningSluice {
  readonly port: number;
  /** The admin port (metrics, health, dashboard), when METRICS_PORT is set. */
  readonly metricsPort: number | undefined;
  readonly gateway: Gateway;
  readonly health: HealthMonitor;
  /** Positions, end offsets and lag, read from the stores at most once per METRICS_CACHE_TTL_MS. */
  readonly lag: LagReader;
  /** The stores in use: plugin name and address (no passwords). */
  readonly stores: Record<'records' | 'positions', { name: string; address: string }>;
  readonly server: SluiceServer;
  /** Graceful stop: see SluiceServer.shutdown. */
  stop(): Promise<void>;
}

/** Builds the stores, the core and the gRPC server from a validated configuration. */
export async function startSluice(config: LoadedConfig, logger: Logger = createLogger(config.gateway.LOG_LEVEL)): Promise<RunningSluice> {
  const { gateway: settings, raw } = config;
  logUnhandledRxjsErrors(logger);
  // Read before any store connects: a bad security file stops the start at once.
  const securityFile = settings.SECURITY_FILE;
  const policy = securityFile === undefined ? undefined : loadSecurityPolicy(securityFile);
  const schemasFile = settings.VALIDATION_SCHEMAS_FILE;
  const validator = schemasFile === undefined ? undefined : loadPublishValidator(schemasFile);
  const records = await createRecordsStore(settings.RECORDS_STORE, raw, logger);
  let positions;
  try {
    positions = await createPositionsStore(settings.POSITIONS_STORE, raw, logger);
  } catch (err) {
    await records.close();
    throw err;
  }
  const gateway = new Gateway(records, positions, logger.child({ component: 'gateway' }), {
    maxTrackedPartitions: settings.METRICS_MAX_SERIES,
    publishCheck: validator && ((envelope, field) => validator.check(envelope, field)),
    retryPolicy: {
      retryTopic: settings.RETRY_TOPIC,
      deadLetterTopic: settings.DEAD_LETTER_TOPIC,
      maxAttempts: settings.RETRY_MAX_ATTEMPTS,
      backoff: { initialMs: settings.RETRY_BACKOFF_INITIAL_MS, maxMs: settings.RETRY_BACKOFF_MAX_MS, factor: settings.RETRY_BACKOFF_FACTOR },
    },
  });
  const schemaReloads =
    schemasFile === undefined
      ? undefined
      : schemaUpdates(schemasFile, (err) => logger.error({ err }, 'schemas not reloaded: the previous ones stay in force')).subscribe((next) => {
          gateway.usePublishCheck((envelope, field) => next.check(envelope, field));
          logger.info({ rules: next.ruleCount }, 'schemas reloaded');
        });
  const health = new HealthMonitor(
    { records, positions },
    { intervalMs: settings.HEALTH_INTERVAL_MS, timeoutMs: settings.HEALTH_TIMEOUT_MS },
    logger.child({ component: 'health' }),
  );
  const lag = new LagReader(gateway, records, positions, { ttlMs: settings.METRICS_CACHE_TTL_MS, maxRows: settings.METRICS_MAX_SERIES });
  const metrics = new Metrics(gateway, {
    lag,
    health,
    maxSeries: settings.METRICS_MAX_SERIES,
    build: { version: VERSION, recordsStore: settings.RECORDS_STORE, positionsStore: settings.POSITIONS_STORE },
  });
  let server: SluiceServer;
  let metricsServer: AdminServer | undefined;
  let dashboard: Dashboard | undefined;
  // Looked up per request: the dashboard's routes join once the gRPC port (part of the gateway's id) is known.
  const routes: Record<string, Route> = {
    '/metrics': async (_request, response) => {
      const body = await metrics.registry.metrics();
      response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
    },
    ...healthRoutes(health),
  };
  try {
    if (settings.METRICS_PORT !== undefined) metricsServer = await serveAdmin(routes, settings.METRICS_HOST, settings.METRICS_PORT);
    server = await startServer({
      readiness: health.readiness,
      gateway,
      metrics,
      logger: logger.child({ component: 'grpc' }),
      host: settings.GRPC_HOST,
      port: settings.GRPC_PORT,
      batchedRpcs: settings.GRPC_BATCHED_RPCS,
      access: {
        internalTopics: new InternalTopics(parsePatternList(settings.INTERNAL_TOPICS_ALLOWED)),
        policy,
        policyUpdates:
          securityFile === undefined
            ? undefined
            : securityPolicyUpdates(securityFile, (err) => logger.error({ err }, 'security file not reloaded: the previous one stays in force')),
      },
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
    health.stop();
    schemaReloads?.unsubscribe();
    await metricsServer?.close();
    await gateway.close();
    throw err;
  }
  health.start();
  if (settings.DASHBOARD_ENABLED) {
    const view = new DashboardView({ id: `${hostname()}:${server.port}`, version: VERSION, gateway, positions, lag, health, errors: metrics.recentErrors });
    dashboard = new Dashboard(view, positions, { refreshMs: settings.DASHBOARD_REFRESH_MS, reportMs: 2_000 }, logger.child({ component: 'dashboard' }));
    Object.assign(routes, dashboard.routes());
    dashboard.start();
  }
  return {
    port: server.port,
    metricsPort: metricsServer?.port,
    gateway,
    health,
    lag,
    stores: {
      records: { name: settings.RECORDS_STORE, address: records.address ?? 'unknown' },
      positions: { name: settings.POSITIONS_STORE, address: positions.address ?? 'unknown' },
    },
    server,
    stop: async () => {
      // Not ready first, so that load balancers stop sending work while open calls drain.
      health.beginShutdown();
      dashboard?.stop();
      schemaReloads?.unsubscribe();
      await server.shutdown(settings.SHUTDOWN_GRACE_MS);
      health.stop();
      await metricsServer?.close();
    },
  };
}
