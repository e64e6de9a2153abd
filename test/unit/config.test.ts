import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const { gateway } = loadConfig({});
    expect(gateway).toMatchObject({ GRPC_HOST: '0.0.0.0', GRPC_PORT: 6565, RECORDS_STORE: 'memory', POSITIONS_STORE: 'memory' });
  });
  it('names the bad key and the value', () => {
    expect(() => loadConfig({ GRPC_PORT: 'http' })).toThrow(ConfigError);
    expect(() => loadConfig({ GRPC_PORT: 'http' })).toThrow(/^GRPC_PORT: .*"http"/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/^LOG_LEVEL: /);
  });
  it('overlays a JSON config file on the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    const file = join(dir, 'sluice.json');
    writeFileSync(file, JSON.stringify({ GRPC_PORT: 7000, RECORDS_STORE: 'kafka' }));
    const { gateway, raw } = loadConfig({ SLUICE_CONFIG: file, GRPC_PORT: '6000', REDIS_URL: 'redis://x' });
    expect(gateway.GRPC_PORT).toBe(7000);
    expect(gateway.RECORDS_STORE).toBe('kafka');
    expect(raw.REDIS_URL).toBe('redis://x');
  });
  it('operations settings: safe defaults, the dashboard off and only with the admin port', () => {
    expect(loadConfig({}).gateway).toMatchObject({
      HEALTH_INTERVAL_MS: 2_000,
      HEALTH_TIMEOUT_MS: 2_000,
      METRICS_MAX_SERIES: 2_000,
      METRICS_CACHE_TTL_MS: 5_000,
      DASHBOARD_ENABLED: false,
    });
    expect(loadConfig({ DASHBOARD_ENABLED: 'true', METRICS_PORT: '9464' }).gateway.DASHBOARD_ENABLED).toBe(true);
    expect(() => loadConfig({ DASHBOARD_ENABLED: 'true' })).toThrow(/^DASHBOARD_ENABLED: .*METRICS_PORT/);
    expect(() => loadConfig({ DASHBOARD_ENABLED: 'yes' })).toThrow(/^DASHBOARD_ENABLED: must be true or false/);
    expect(() => loadConfig({ METRICS_MAX_SERIES: '0' })).toThrow(/^METRICS_MAX_SERIES: /);
  });
  it('refuses an unreadable config file naming SLUICE_CONFIG', () => {
    expect(() => loadConfig({ SLUICE_CONFIG: '/nonexistent/sluice.json' })).toThrow(/^SLUICE_CONFIG: cannot read/);
  });
});
