import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { spawnGateway } from '../support/process.ts';
import { failure } from '../support/grpc-errors.ts';
import { uniqueName } from '../support/records.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';

describe('gateway with redis positions: restarts and outages', () => {
  // Our own redis-server, with fsync on every write, so it can be stopped and restarted.
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer({ persistence: true });
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it('keeps acked positions across a gateway restart: GetOffsets unchanged, a new subscription resumes at position + 1', async () => {
    const env = { POSITIONS_STORE: 'redis', REDIS_URL: redis.url, MEMORY_PARTITIONS: '2' };
    const topic = uniqueName('restart');
    const group = uniqueName('g');

    const first = await spawnGateway(env);
    let client = new TestClient(first.address);
    const published = [];
    for (const value of ['r0', 'r1', 'r2', 'r3']) published.push(await client.publish({ topic, key: Buffer.from('k'), value: Buffer.from(value) }));
    const partition = published[0]!.partition;
    await client.ack({ topic, group, partition, offset: '1' });
    client.close();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await spawnGateway(env);
    client = new TestClient(second.address);
    try {
      expect((await client.getOffsets({ topic, group })).offsets).toEqual({ [partition]: '1' });
      // The memory records store starts empty: write the same records again.
      for (const value of ['r0', 'r1', 'r2', 'r3']) await client.publish({ topic, key: Buffer.from('k'), value: Buffer.from(value) });
      const subscription = client.subscribe({ topic, group });
      const assignments = await subscription.until((a) => a.length === 2);
      const replies = await client.receive({ assignment: assignments.find((a) => a.partition === partition) }).take(2);
      expect(replies.map((r) => r.record!.value.toString())).toEqual(['r2', 'r3']);
      subscription.cancel();
    } finally {
      client.close();
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  describe('when redis goes down', () => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await startTestGateway({ POSITIONS_STORE: 'redis', REDIS_URL: redis.url, MEMORY_PARTITIONS: '2' });
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    it('fails Ack, GetOffsets and Subscribe with UNAVAILABLE, stores nothing it did not report, and recovers without a restart', async () => {
      const { client } = gateway;
      const topic = uniqueName('outage');
      const group = uniqueName('g');
      await client.ack({ topic, group, partition: 0, offset: '10' });

      await redis.stop();
      try {
        const ack = await failure(client.ack({ topic, group, partition: 0, offset: '20' }));
        expect(ack?.code).toBe(status.UNAVAILABLE);
        expect(ack?.details).toMatch(/redis/i);
        const offsets = await failure(client.getOffsets({ topic, group }));
        expect(offsets?.code).toBe(status.UNAVAILABLE);
        const subscribe = await client.subscribe({ topic, group }).status;
        expect(subscribe.code).toBe(status.UNAVAILABLE);
        expect(subscribe.details).toMatch(/positions store unavailable, cannot start a subscription/);
        // Publishing does not need positions: it keeps working.
        expect((await client.publish({ topic, value: Buffer.from('x') })).topic).toBe(topic);
      } finally {
        await redis.start();
      }

      // The store reconnects in the background; the first calls may still fail.
      let recovered = null;
      for (let attempt = 0; attempt < 50 && recovered === null; attempt++) {
        recovered = await client.getOffsets({ topic, group }).catch(() => null);
        if (recovered === null) await new Promise((r) => setTimeout(r, 100));
      }
      // The ack of 20 was refused, so 10 is still the position.
      expect(recovered?.offsets).toEqual({ 0: '10' });
      await client.ack({ topic, group, partition: 0, offset: '30' });
      expect((await client.getOffsets({ topic, group })).offsets).toEqual({ 0: '30' });
      const subscription = client.subscribe({ topic, group });
      expect((await subscription.until((a) => a.length === 2)).length).toBe(2);
      subscription.cancel();
    });
  });
});
