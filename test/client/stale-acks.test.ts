import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connect, type SluiceClient } from '../../src/client/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { HoldingProxy } from '../support/holding-proxy.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis.ts';
import { uniqueName } from '../support/records.ts';
import { EventLog, keyFor, Streams, take } from './helpers.ts';

/**
 * Issue 9: an ack that failed stayed pending and was sent again by a later
 * flush, even after its partition had moved to another member: it moved the
 * new owner's position back. Two gateways on one Kafka and one Redis; the
 * first one's connection to Redis is cut while its member loses a partition.
 */
describe('client: a failed ack of a partition that moved away', () => {
  let redis: RedisServerHandle;
  let proxy: HoldingProxy;
  let first: TestGateway;
  let second: TestGateway;
  let client: SluiceClient;
  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await HoldingProxy.start(redis.port);
    const kafka = { RECORDS_STORE: 'kafka', KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'), KAFKA_TOPIC_PARTITIONS: '2', POSITIONS_STORE: 'redis' };
    first = await startTestGateway({ ...kafka, REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    second = await startTestGateway({ ...kafka, REDIS_URL: redis.url });
    client = connect(first.address);
  });
  afterAll(async () => {
    await client?.close();
    await first?.stop();
    await second?.stop();
    await proxy?.close();
    await redis?.destroy();
  });

  it('is not sent again once the partition is another member’s', { timeout: 90_000 }, async () => {
    const topic = uniqueName('stale-ack');
    const group = uniqueName('g');
    for (const partition of [0, 1]) for (let i = 0; i < 3; i++) await client.publish(topic, `p${partition}-${i}`, { key: keyFor(partition, 2) });
    const subscription = client.subscribe({ topic, group, ackEvery: { records: 1000, ms: 600_000 } });
    const log = new EventLog(subscription);
    const streams = new Streams(subscription);
    for (const partition of [0, 1]) await take(await streams.for(partition), 3, true); // offsets 0..2 processed, not acked yet

    proxy.cut(); // the first gateway's acks fail from now on
    const other = second.client.subscribe({ topic, group });
    const [taken] = await other.until((a) => a.length === 1, 60_000);
    const moved = taken!.partition;
    await log.waitFor('ack-failed', (e) => e.partition === moved && e.reason === 'revoke', 60_000);

    proxy.restore();
    // Wait until the first gateway reaches Redis again (its client reconnects with backoff).
    for (let attempt = 0; ; attempt++) {
      const ok = await first.client.ack({ topic, group: uniqueName('probe'), partition: 0, offset: '0' }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (attempt > 100) throw new Error('the first gateway does not reach Redis again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The new owner gets further and acks 10.
    await second.client.ack({ topic, group, partition: moved, offset: '10' });
    await subscription.close(); // flushes what is pending
    const { offsets } = await second.client.getOffsets({ topic, group });
    expect(offsets[String(moved)]).toBe('10');
    other.cancel();
  });
});
