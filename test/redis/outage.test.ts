import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { UnavailableError } from '../../src/contracts/index.ts';
import { parseRedisUrl, plugin, RedisPositionsStore } from '../../plugins/redis-positions/index.ts';
import { freePort, startRedisServer, type RedisServerHandle } from '../support/redis.ts';

const group = { name: 'g', version: 0 };

async function timed<T>(promise: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now();
  try {
    await promise;
    return { error: undefined, ms: performance.now() - start };
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
}

function expectUnavailable(result: { error: unknown; ms: number }, withinMs: number): void {
  expect(result.error).toBeInstanceOf(UnavailableError);
  const error = result.error as UnavailableError;
  expect(error.code).toBe('UNAVAILABLE');
  expect(error.retryable).toBe(true);
  expect(error.message).toMatch(/redis/);
  expect(result.ms).toBeLessThan(withinMs);
}

describe('redis positions store: outages', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    // Our own server (never one we did not start), with an fsynced AOF so that data survives a restart.
    server = await startRedisServer({ persistence: true });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('rejects promptly with UnavailableError while Redis is down, and recovers on the same store when it is back', async () => {
    const store = await RedisPositionsStore.connect({ connection: parseRedisUrl(server.url), maxReconnectDelayMs: 200 });
    try {
      await store.update('outage', group, 0, 5n);

      await server.stop();
      // Default commandTimeout is 2 s: failing well under it shows nothing waits for a timeout.
      expectUnavailable(await timed(store.update('outage', group, 0, 99n)), 200);
      expectUnavailable(await timed(store.update('outage', group, 1, 1n)), 200);
      expectUnavailable(await timed(store.fetch('outage', group)), 200);
      expectUnavailable(await timed(store.fetchAllVersions('outage', 'g')), 200);
      expectUnavailable(await timed(collect(store.findAll())), 200);
      expect(store.connected).toBe(false);

      await server.start();
      await store.whenConnected(10_000);
      // The rejected writes were not queued and replayed: only the acked 5 is there.
      expect(Object.fromEntries(await store.fetch('outage', group))).toEqual({ 0: 5n });
      await store.update('outage', group, 0, 7n);
      expect(Object.fromEntries(await store.fetch('outage', group))).toEqual({ 0: 7n });
    } finally {
      await store.close();
    }
  });

  it('rejects acks in flight when Redis dies under load; every ack reported stored is stored', async () => {
    const store = await RedisPositionsStore.connect({ connection: parseRedisUrl(server.url), maxReconnectDelayMs: 200 });
    try {
      const ackers = 32;
      let acked = 0;
      let killedAt = 0;
      let killing: Promise<void> | undefined;
      // Each acker owns a partition and acks increasing offsets until an ack fails.
      const runs = Array.from({ length: ackers }, async (_, partition) => {
        let lastAcked = -1n;
        let offset = 0n;
        for (;;) {
          try {
            await store.update('killed', group, partition, offset);
          } catch (error) {
            return { partition, lastAcked, attempted: offset, error, failedAfterKillMs: performance.now() - killedAt };
          }
          lastAcked = offset++;
          if (++acked === 2_000) {
            killedAt = performance.now();
            killing = server.kill();
          }
        }
      });
      const results = await Promise.all(runs);
      await killing;
      for (const result of results) {
        expect(result.error).toBeInstanceOf(UnavailableError);
        expect((result.error as Error).message).toMatch(/connection lost|not connected/);
        expect(result.failedAfterKillMs).toBeLessThan(1_000);
      }

      await server.start();
      await store.whenConnected(10_000);
      // appendfsync always: what Redis acknowledged is on disk. Nothing acked is lost;
      // at most the one unacknowledged in-flight value per partition may have landed.
      const stored = await store.fetch('killed', group);
      for (const { partition, lastAcked, attempted } of results) {
        const offset = stored.get(partition) ?? -1n;
        expect(offset).toBeGreaterThanOrEqual(lastAcked);
        expect(offset).toBeLessThanOrEqual(attempted);
      }
      expect(results.some((r) => r.lastAcked > 0n)).toBe(true);
      await store.update('killed', group, 0, 10_000n);
      expect((await store.fetch('killed', group)).get(0)).toBe(10_000n);
    } finally {
      await store.close();
    }
  });

  it('fails acks with UnavailableError after the command timeout when Redis stops answering, and recovers when it answers again', async () => {
    const store = await RedisPositionsStore.connect({ connection: parseRedisUrl(server.url), commandTimeoutMs: 300 });
    try {
      await store.update('hang', group, 0, 1n);
      server.pause();
      try {
        const update = await timed(store.update('hang', group, 0, 2n));
        expectUnavailable(update, 2_000);
        expect(update.ms).toBeGreaterThanOrEqual(250);
        expect((update.error as Error).message).toMatch(/no reply within 300 ms/);
        expectUnavailable(await timed(store.fetch('hang', group)), 2_000);
      } finally {
        server.resume();
      }
      await store.update('hang', group, 0, 3n);
      expect((await store.fetch('hang', group)).get(0)).toBe(3n);
    } finally {
      await store.close();
    }
  });

  it('refuses to start, promptly and naming the URL, when Redis cannot be reached', async () => {
    const port = await freePort();
    const start = performance.now();
    const creating = plugin.create({ config: { REDIS_URL: `redis://:secret@127.0.0.1:${port}` }, logger: pino({ level: 'silent' }) });
    await expect(creating).rejects.toBeInstanceOf(UnavailableError);
    await expect(creating).rejects.toThrow(`redis://:***@127.0.0.1:${port}`);
    await expect(creating).rejects.not.toThrow('secret');
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
