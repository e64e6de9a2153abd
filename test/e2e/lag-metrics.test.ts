import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

const scrape = async (gateway: TestGateway) => (await fetch(`http://127.0.0.1:${gateway.sluice.metricsPort}/metrics`)).text();
const value = (body: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);

describe('lag metrics on Kafka + Redis', () => {
  const stores = () => ({
    RECORDS_STORE: 'kafka',
    KAFKA_BOOTSTRAP_SERVERS: inject('kafkaBootstrap'),
    KAFKA_TOPIC_PARTITIONS: '2',
    POSITIONS_STORE: 'redis',
    REDIS_URL: inject('redisUrl'),
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    // The shared Redis holds every suite's groups: room for all of them, so this test's are never capped away.
    METRICS_MAX_SERIES: '1000000',
  });
  let fresh: TestGateway;
  let cached: TestGateway;
  beforeAll(async () => {
    [fresh, cached] = await Promise.all([
      startTestGateway({ ...stores(), METRICS_CACHE_TTL_MS: '0' }),
      startTestGateway({ ...stores(), METRICS_CACHE_TTL_MS: '600000' }),
    ]);
  });
  afterAll(async () => {
    await Promise.allSettled([fresh?.stop(), cached?.stop()]);
  });

  it('position, end offset and lag = end − acked per group version and partition; records delivered per partition', async () => {
    const { client } = fresh;
    const topic = uniqueName('lag');
    const group = uniqueName('g');
    const ends = new Map<number, number>();
    for (let i = 0; i < 20; i++) {
      const reply = await client.publish({ topic, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) });
      ends.set(reply.partition, Math.max(ends.get(reply.partition) ?? -1, Number(reply.offset)));
    }
    expect([...ends.keys()].sort()).toEqual([0, 1]);

    // Version 1: a member reads partition 0 and acks its third record; partition 1 is acked at 0 (stateless).
    const subscription = client.subscribe({ topic, group: `${group}-v1` });
    const assignments = await subscription.until((a) => a.length === 2);
    const p0 = assignments.find((a) => a.partition === 0)!;
    const stream = client.receive({ assignment: p0 });
    const received = await stream.take(3);
    const acked0 = Number(received[2]!.record!.offset);
    await client.ack({ assignment: p0, offset: acked0 });
    await client.ack({ topic, group, groupVersion: 1, partition: 1, offset: 0 });
    // Version 2: only partition 1, at its end (no lag).
    await client.ack({ topic, group, groupVersion: 2, partition: 1, offset: ends.get(1)! });

    const body = await scrape(fresh);
    const at = (version: number, partition: number) => `{topic="${topic}",group="${group}",version="${version}",partition="${partition}"}`;
    for (const partition of [0, 1]) expect(value(body, `sluice_partition_end_offset{topic="${topic}",partition="${partition}"}`)).toBe(ends.get(partition));
    const expected = [
      { version: 1, partition: 0, position: acked0, lag: ends.get(0)! - acked0 },
      { version: 1, partition: 1, position: 0, lag: ends.get(1)! },
      { version: 2, partition: 1, position: ends.get(1)!, lag: 0 },
      // Never acked: every record written is behind.
      { version: 2, partition: 0, position: NaN, lag: ends.get(0)! + 1 },
    ];
    for (const row of expected) {
      expect(value(body, `sluice_partition_position${at(row.version, row.partition)}`), JSON.stringify(row)).toBe(row.position);
      expect(value(body, `sluice_partition_lag${at(row.version, row.partition)}`), JSON.stringify(row)).toBe(row.lag);
    }
    // The same figures as the wire's GetOffsets / GetEndOffsets.
    const offsets = await client.getOffsets({ topic, group, groupVersion: 1 });
    const endOffsets = await client.getEndOffsets({ topic });
    for (const partition of [0, 1]) {
      const lag = Number(endOffsets.offsets[partition]) - Number(offsets.offsets[partition]);
      expect(value(body, `sluice_partition_lag${at(1, partition)}`)).toBe(lag);
    }
    expect(value(body, `sluice_records_delivered_total${at(1, 0)}`)).toBeGreaterThanOrEqual(3);
    expect(value(body, `sluice_partition_last_ack_age_seconds${at(1, 0)}`)).toBeGreaterThanOrEqual(0);
    expect(value(body, `sluice_sessions{topic="${topic}",group="${group}",version="1"}`)).toBe(1);
    expect(value(body, 'sluice_store_up{store="records"}')).toBe(1);
    expect(value(body, 'sluice_store_up{store="positions"}')).toBe(1);

    // An ack moves the lag at the next scrape.
    await client.ack({ assignment: p0, offset: ends.get(0)! });
    expect(value(await scrape(fresh), `sluice_partition_lag${at(1, 0)}`)).toBe(0);
    stream.cancel();
    subscription.cancel();

    // Another gateway on the same stores sees the same lag (the positions store is shared),
    // and with a long METRICS_CACHE_TTL_MS reads the stores once for any number of scrapes.
    const readsBefore = cached.sluice.lag.reads;
    const first = await scrape(cached);
    await Promise.all([scrape(cached), scrape(cached), scrape(cached)]);
    expect(cached.sluice.lag.reads - readsBefore).toBeLessThanOrEqual(1);
    expect(value(first, `sluice_partition_lag${at(1, 1)}`)).toBe(ends.get(1)!);
  });
});
