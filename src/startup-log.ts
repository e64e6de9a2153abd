import type { RunningSluice } from './app.ts';
import type { GatewayConfig } from './config.ts';
import { VERSION } from './version.ts';

/**
 * The line logged once the gateway serves: every port in use (gRPC, admin
 * with metrics, health and dashboard) and the stores with their addresses
 * (store addresses never hold passwords: see the plugins' `address`).
 */
export function describeStartup(
  settings: Pick<GatewayConfig, 'GRPC_HOST' | 'METRICS_HOST' | 'DASHBOARD_ENABLED'>,
  sluice: Pick<RunningSluice, 'port' | 'metricsPort' | 'stores'>,
): { fields: Record<string, unknown>; message: string } {
  const grpc = hostPort(settings.GRPC_HOST, sluice.port);
  const admin = sluice.metricsPort === undefined ? undefined : `http://${hostPort(settings.METRICS_HOST, sluice.metricsPort)}`;
  const dashboard = admin !== undefined && settings.DASHBOARD_ENABLED ? `${admin}/dashboard` : undefined;
  const { records, positions } = sluice.stores;
  const adminText =
    admin === undefined ? 'admin port off (set METRICS_PORT)' : `admin ${admin} (/metrics /healthz /readyz${dashboard ? ' /dashboard' : ''})`;
  return {
    fields: {
      version: VERSION,
      grpc,
      admin: admin ?? 'off',
      dashboard: dashboard ?? 'off',
      records: { store: records.name, address: records.address },
      positions: { store: positions.name, address: positions.address },
    },
    message:
      `sluice listening on ${grpc} (gRPC); ${adminText}; ` +
      `records: ${records.name} at ${records.address}; positions: ${positions.name} at ${positions.address}`,
  };
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
