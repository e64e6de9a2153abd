import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type SluiceClient } from '../../src/client/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';
import { uniqueName } from '../support/records.ts';
import { EventLog, keyFor, Streams, take } from './helpers.ts';

/**
 * Issue 9, defect 3: a Receive that ended with UNAVAILABLE while its
 * Subscribe lived was never opened again; the gateway announces a partition
 * once, so it stayed assigned with no reader. Here the partition comes back
 * to the client (the other member leaves) while Redis is down, so the
 * Receive fails as it starts; once Redis is back, its records must flow.
 */
describe('client: a Receive interrupted while its Subscribe lives', () => {
  let redis: RedisServerHandle;
  let gateway: TestGateway;
  let client: SluiceClient;
  beforeAll(async () => {
    redis = await startRedisServer();
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '2', POSITIONS_STORE: 'redis', REDIS_URL: redis.url });
    client = connect(gateway.address);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await redis?.destroy();
  });

  it('is opened again with backoff, and the partition keeps flowing after a Redis outage', async () => {
    const topic = uniqueName('reopen');
    const group = uniqueName('g');
    const subscription = client.subscribe({ topic, group, reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
    const log = new EventLog(subscription);
    const streams = new Streams(subscription);
    await log.waitFor('assigned', (e) => e.partition === 1);
    await log.waitFor('assigned', (e) => e.partition === 0);

    // A second member takes one partition.
    const other = gateway.client.subscribe({ topic, group });
    const [taken] = await other.until((a) => a.length === 1);
    const partition = taken!.partition;
    await log.waitFor('revoked', (e) => e.partition === partition);

    // Redis goes down; the other member leaves: the partition comes back and its Receive fails as it starts.
    await redis.stop();
    other.cancel();
    const reassigned = log.events.length;
    await log.waitFor('assigned', (e) => e.partition === partition && log.events.indexOf(e) >= reassigned);
    // (Before the fix the stream just ended: 'revoked' then nothing.)
    const after = (e: { partition: number }) => e.partition === partition && log.events.indexOf(e as never) >= reassigned;
    await Promise.race([log.waitFor('receive-interrupted', after), log.waitFor('revoked', after)]);

    await redis.start();
    const key = keyFor(partition, 2);
    await client.publish(topic, 'after-outage', { key });
    let stream = await streams.for(partition);
    while (stream.endedBy !== undefined && stream.buffered === 0) stream = await streams.for(partition); // earlier streams of it
    const [record] = await Promise.race([
      take(stream, 1, true),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no record of partition ${partition} after the outage`)), 15_000)),
    ]);
    expect(record!.value.toString()).toBe('after-outage');
    expect(subscription.partitions).toContain(partition);
    await subscription.close();
  });
});
