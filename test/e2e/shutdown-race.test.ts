import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/client.ts';
import { HoldingProxy } from '../support/holding-proxy.ts';
import { spawnGateway } from '../support/process.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';
import { uniqueName } from '../support/records.ts';

/**
 * Issue 9, defect 2: SIGTERM arriving while a Subscribe waits for its
 * positions read. The handle used to be returned anyway; its assignments
 * errored on subscribe and the handler's error path hit a TDZ ReferenceError
 * that rxjs rethrew from a timer: the process exited 1 without leaving its
 * groups. The Subscribe must end with UNAVAILABLE and the process stop cleanly.
 */
describe('SIGTERM while a Subscribe reads its positions', () => {
  let redis: RedisServerHandle;
  let proxy: HoldingProxy;
  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await HoldingProxy.start(redis.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await redis?.destroy();
  });

  it('ends the Subscribe with UNAVAILABLE and exits 0', async () => {
    const gateway = await spawnGateway({
      RECORDS_STORE: 'memory',
      POSITIONS_STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: '5000',
    });
    const client = new TestClient(gateway.address);
    try {
      proxy.hold();
      const subscription = client.subscribe({ topic: uniqueName('race'), group: uniqueName('g') });
      await proxy.nextHeld(); // the positions read is in flight
      const shuttingDown = new Promise<void>((resolve) => {
        const check = () => gateway.output().includes('shutting down') && resolve();
        gateway.child.stdout!.on('data', check);
        check();
      });
      gateway.child.kill('SIGTERM');
      await shuttingDown;
      proxy.release(); // the read answers after shutdown began
      const outcome = await subscription.status;
      expect(outcome.code, outcome.details).toBe(14); // UNAVAILABLE
      expect(await gateway.exited, gateway.output()).toBe(0);
      expect(gateway.output()).not.toMatch(/ReferenceError|uncaught/i);
    } finally {
      client.close();
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    }
  });
});
