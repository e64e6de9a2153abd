import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../plugins/redis-positions/index.ts';
import { describeStartup } from '../../src/startup-log.ts';

describe('startup log line', () => {
  it('names the gRPC, admin and dashboard ports and the stores, with the Redis password masked', () => {
    const redis = parseRedisUrl('redis://app:s3cret@cache.internal:6380/2').display;
    const { message, fields } = describeStartup(
      { GRPC_HOST: '0.0.0.0', METRICS_HOST: '0.0.0.0', DASHBOARD_ENABLED: true },
      { port: 6565, metricsPort: 9464, stores: { records: { name: 'kafka', address: 'k1:9092,k2:9092' }, positions: { name: 'redis', address: redis } } },
    );
    expect(message).toContain('sluice listening on 0.0.0.0:6565 (gRPC)');
    expect(message).toContain('admin http://0.0.0.0:9464 (/metrics /healthz /readyz /dashboard)');
    expect(message).toContain('records: kafka at k1:9092,k2:9092');
    expect(message).toMatch(/positions: redis at redis:\/\/app:\*\*\*@cache\.internal:6380/);
    expect(JSON.stringify(fields)).not.toContain('s3cret');
    expect(fields.dashboard).toBe('http://0.0.0.0:9464/dashboard');
  });

  it('says when the admin port is off', () => {
    const { message, fields } = describeStartup(
      { GRPC_HOST: '::', METRICS_HOST: '0.0.0.0', DASHBOARD_ENABLED: false },
      { port: 6565, metricsPort: undefined, stores: { records: { name: 'memory', address: 'in-process' }, positions: { name: 'memory', address: 'in-process' } } },
    );
    expect(message).toContain('sluice listening on [::]:6565');
    expect(message).toContain('admin port off');
    expect(fields.dashboard).toBe('off');
  });
});
