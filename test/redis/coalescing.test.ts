import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl, RedisPositionsStore } from '../../plugins/redis-positions/index.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';
import { commandCalls, commandsBetween } from './commandstats.ts';

/**
 * Counts Redis commands per ack on a server of our own (INFO commandstats is
 * server-wide, so a shared server would mix in other suites' commands).
 */
describe('redis positions store: acks are group committed', () => {
  let server: RedisServerHandle;
  let store: RedisPositionsStore;
  beforeAll(async () => {
    server = await startRedisServer();
    store = await RedisPositionsStore.connect({ connection: parseRedisUrl(server.url) });
  });
  afterAll(async () => {
    await store?.close();
    await server?.destroy();
  });

  it('uses one HSET per ack when acks come one at a time', async () => {
    const before = await commandCalls(server.url);
    for (let i = 0n; i < 50n; i++) await store.update('seq', { name: 'g', version: 0 }, 0, i);
    const { total, byCommand } = commandsBetween(before, await commandCalls(server.url));
    expect(byCommand).toEqual({ hset: 50 });
    expect(total).toBe(50);
  });

  it('coalesces concurrent acks of one group into far fewer HSETs, and every ack lands', async () => {
    const ackers = 64;
    const acksEach = 100;
    const statsBefore = store.stats;
    const before = await commandCalls(server.url);
    await Promise.all(
      Array.from({ length: ackers }, async (_, partition) => {
        for (let offset = 0; offset < acksEach; offset++) await store.update('load', { name: 'g', version: 0 }, partition, BigInt(offset));
      }),
    );
    const { total, byCommand } = commandsBetween(before, await commandCalls(server.url));
    const acks = ackers * acksEach;
    const stats = store.stats;
    const flushes = stats.flushes - statsBefore.flushes;
    // One key (one group): each flush is exactly one HSET, and holds one ack per acker.
    expect(byCommand).toEqual({ hset: flushes });
    expect(total).toBeLessThanOrEqual(acks / 32);
    console.info(`${acks} acks from ${ackers} concurrent ackers: ${total} Redis commands (${(total / acks).toFixed(4)} per ack)`);

    const positions = await store.fetch('load', { name: 'g', version: 0 });
    expect(positions.size).toBe(ackers);
    for (const offset of positions.values()) expect(offset).toBe(BigInt(acksEach - 1));
  });

  it('pipelines one HSET per group when many groups ack at once', async () => {
    const groups = 20;
    const before = await commandCalls(server.url);
    const statsBefore = store.stats;
    await Promise.all(
      Array.from({ length: groups * 8 }, (_, i) => store.update('multi', { name: `g${i % groups}`, version: 0 }, Math.floor(i / groups), 1n)),
    );
    const { byCommand } = commandsBetween(before, await commandCalls(server.url));
    expect(store.stats.flushes - statsBefore.flushes).toBe(1);
    expect(byCommand).toEqual({ hset: groups });
  });
});
