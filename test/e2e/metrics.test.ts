import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

describe('Prometheus metrics', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '1', METRICS_HOST: '127.0.0.1', METRICS_PORT: '0' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${gateway.sluice.metricsPort}/metrics`)).text();
  const value = (body: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);

  it('counts calls by method and status, records sent and open streams', async () => {
    const { client } = gateway;
    const topic = uniqueName('metrics');
    for (let i = 0; i < 3; i++) await client.publish({ topic, value: Buffer.from(`v${i}`) });
    await client.publish({ topic: '', value: Buffer.from('bad') }).catch(() => undefined);
    const subscription = client.subscribe({ topic, group: uniqueName('g') });
    const [assignment] = await subscription.until((a) => a.length === 1);
    const stream = client.receive({ assignment });
    await stream.take(3);

    const body = await scrape();
    expect(value(body, 'sluice_grpc_calls_total{method="Publish",code="OK"}')).toBe(3);
    expect(value(body, 'sluice_grpc_calls_total{method="Publish",code="INVALID_ARGUMENT"}')).toBe(1);
    expect(value(body, 'sluice_records_sent_total')).toBe(3);
    expect(value(body, 'sluice_sessions')).toBe(1);
    expect(value(body, 'sluice_receive_streams')).toBe(1);
    expect(body).toMatch(/^process_resident_memory_bytes /m);

    subscription.cancel();
    await stream.status;
    expect(value(await scrape(), 'sluice_receive_streams')).toBe(0);
  });

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
      expect(value(body, 'sluice_grpc_calls_total{method="Subscribe",code="UNAVAILABLE"}')).toBe(1);
      expect(value(again, 'sluice_grpc_calls_total{method="Subscribe",code="UNAVAILABLE"}')).toBe(1);
      expect(again).not.toContain('sluice_grpc_calls_total{method="Subscribe",code="CANCELLED"}');
    } finally {
      await own.stop();
    }
  });
});
