import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

const value = (body: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);

describe('Prometheus metrics', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '1', METRICS_HOST: '127.0.0.1', METRICS_PORT: '0' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${gateway.sluice.metricsPort}/metrics`)).text();

  it('counts calls by method and status, records sent and open streams', async () => {
    const { client } = gateway;
    const topic = uniqueName('metrics');
    for (let i = 0; i < 3; i++) await client.publish({ topic, value: Buffer.from(`v${i}`) });
    await client.publish({ topic: '', value: Buffer.from('bad') }).catch(() => undefined);
    const group = uniqueName('g');
    const subscription = client.subscribe({ topic, group });
    const [assignment] = await subscription.until((a) => a.length === 1);
    const stream = client.receive({ assignment });
    await stream.take(3);

    const body = await scrape();
    expect(value(body, 'sluice_grpc_calls_total{method="Publish",code="OK"}')).toBe(3);
    expect(value(body, 'sluice_grpc_calls_total{method="Publish",code="INVALID_ARGUMENT"}')).toBe(1);
    expect(value(body, 'sluice_records_sent_total')).toBe(3);
    const labels = `topic="${topic}",group="${group}",version="0"`;
    expect(value(body, `sluice_sessions{${labels}}`)).toBe(1);
    expect(value(body, `sluice_receive_streams{${labels}}`)).toBe(1);
    expect(value(body, `sluice_records_delivered_total{${labels},partition="0"}`)).toBe(3);
    expect(value(body, 'sluice_ready')).toBe(1);
    expect(value(body, 'sluice_store_up{store="records"}')).toBe(1);
    expect(value(body, 'sluice_store_up{store="positions"}')).toBe(1);
    expect(body).toMatch(/^sluice_build_info\{version="\d+\.\d+\.\d+",node_version="[^"]+",records_store="memory",positions_store="memory"\} 1$/m);
    expect(body).toMatch(/^process_resident_memory_bytes /m);

    subscription.cancel();
    await stream.status;
    const after = await scrape();
    expect(value(after, `sluice_receive_streams{${labels}}`)).toBeNaN();
    // The ended stream's records stay counted.
    expect(value(after, `sluice_records_delivered_total{${labels},partition="0"}`)).toBe(3);
    expect(value(after, 'sluice_records_sent_total')).toBe(3);
  });
});

describe('metrics cardinality cap', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '4', METRICS_HOST: '127.0.0.1', METRICS_PORT: '0', METRICS_MAX_SERIES: '3', METRICS_CACHE_TTL_MS: '0' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('exports at most METRICS_MAX_SERIES label sets per metric and counts the rest as dropped', async () => {
    const { client } = gateway;
    const topic = uniqueName('cap');
    for (let i = 0; i < 8; i++) await client.publish({ topic, value: Buffer.from(`v${i}`) });
    for (const group of ['a', 'b']) await client.ack({ topic, group, partition: 0, offset: '0' });

    const body = await (await fetch(`http://127.0.0.1:${gateway.sluice.metricsPort}/metrics`)).text();
    const series = (name: string) => body.split('\n').filter((line) => line.startsWith(`${name}{`)).length;
    // 2 groups x 4 partitions = 8 lag rows; 3 exported.
    expect(series('sluice_partition_lag')).toBe(3);
    expect(body).toMatch(/^sluice_metrics_series_dropped\{metric="sluice_partition_lag"\} 5$/m);
    expect(series('sluice_partition_position')).toBeLessThanOrEqual(3);
  });

});

describe('call counts', () => {
  const metric = (body: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);

  it('counts a Subscribe once, by the status it was sent (grpc-js emits cancelled after any status)', async () => {
    const own = await startTestGateway({ MEMORY_PARTITIONS: '1', METRICS_HOST: '127.0.0.1', METRICS_PORT: '0' });
    try {
      const subscription = own.client.subscribe({ topic: uniqueName('once'), group: uniqueName('g') });
      await subscription.until((a) => a.length === 1);
      own.sluice.gateway.beginShutdown(); // the core ends the stream with UNAVAILABLE
      expect((await subscription.status).code).toBe(14);
      const body = await (await fetch(`http://127.0.0.1:${own.sluice.metricsPort}/metrics`)).text();
      // The server's 'cancelled' follows the status; wait until it must have come.
      await new Promise((resolve) => setImmediate(resolve));
      const again = await (await fetch(`http://127.0.0.1:${own.sluice.metricsPort}/metrics`)).text();
      expect(metric(body, 'sluice_grpc_calls_total{method="Subscribe",code="UNAVAILABLE"}')).toBe(1);
      expect(metric(again, 'sluice_grpc_calls_total{method="Subscribe",code="UNAVAILABLE"}')).toBe(1);
      expect(again).not.toContain('sluice_grpc_calls_total{method="Subscribe",code="CANCELLED"}');
    } finally {
      await own.stop();
    }
  });
});
