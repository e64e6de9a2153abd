import { firstValueFrom, filter } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { watchHealth } from '../support/health.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';

const SERVICE = 'com.github.bsideup.liiklus.LiiklusService';

describe('health and readiness follow the stores (real redis-server stopped and started)', () => {
  let redis: RedisServerHandle;
  let gateway: TestGateway;
  beforeAll(async () => {
    // Our own server: this test stops it.
    redis = await startRedisServer();
    gateway = await startTestGateway({
      POSITIONS_STORE: 'redis',
      REDIS_URL: redis.url,
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      HEALTH_INTERVAL_MS: '100',
      HEALTH_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await redis?.destroy();
  });

  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${gateway.sluice.metricsPort}${path}`);
    return { status: response.status, body: (await response.json()) as { status: string; positions: { up: boolean; error?: string } } };
  };
  const readiness = (ready: boolean) => firstValueFrom(gateway.sluice.health.states.pipe(filter((state) => state.ready === ready)));

  it('/readyz and the gRPC health service turn NOT_SERVING while Redis is down and SERVING when it is back; /healthz stays up', async () => {
    const health = watchHealth(gateway.address, SERVICE);
    const overall = watchHealth(gateway.address, '');
    try {
      await health.until('SERVING');
      expect(await get('/readyz')).toMatchObject({ status: 200, body: { status: 'ready', positions: { up: true } } });
      expect((await get('/healthz')).status).toBe(200);

      await redis.stop();
      await readiness(false);
      await health.until('NOT_SERVING');
      await overall.until('NOT_SERVING');
      const down = await get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body.status).toBe('not ready');
      expect(down.body.positions.up).toBe(false);
      expect(down.body.positions.error).toMatch(/redis/);
      expect(await get('/healthz')).toMatchObject({ status: 200, body: { status: 'alive' } });

      await redis.start();
      await readiness(true);
      await health.until('SERVING');
      await overall.until('SERVING');
      expect(await get('/readyz')).toMatchObject({ status: 200, body: { status: 'ready', positions: { up: true } } });
      expect(health.seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    } finally {
      health.close();
      overall.close();
    }
  });

  it('is not ready once shutdown begins', async () => {
    const health = watchHealth(gateway.address, SERVICE);
    try {
      await health.until('SERVING');
      const stopped = gateway.sluice.stop();
      await health.until('NOT_SERVING').catch(() => undefined);
      expect(gateway.sluice.health.state).toMatchObject({ shuttingDown: true, ready: false });
      await stopped;
    } finally {
      health.close();
    }
  });
});
