/**
 * The cost of metrics on the record path: Receive throughput of a gateway
 * process (memory stores) with the admin port off, against the same with
 * metrics on, scraped every second, and a dashboard page's event stream open.
 * Rounds alternate between the two; prints each round and the medians.
 *
 *   npx tsx bench/metrics-cost.ts          # BENCH_ROUNDS=5 BENCH_RECEIVE=50000
 */
import { request } from 'node:http';
import { freePort } from '../scripts/kafka-broker.mjs';
import { TestClient } from '../test/support/client.ts';
import { spawnGateway } from '../test/support/process.ts';
import { fillTopic } from './lib/sluice.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RECEIVE = Number(process.env.BENCH_RECEIVE ?? 50_000);
const VALUE = Buffer.alloc(100, 'x');

async function round(metricsOn: boolean): Promise<number> {
  const metricsPort = await freePort();
  const env: Record<string, string> = { LOG_LEVEL: 'info', MEMORY_PARTITIONS: '1' };
  if (metricsOn) Object.assign(env, { METRICS_HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), DASHBOARD_ENABLED: 'true', METRICS_CACHE_TTL_MS: '1000' });
  const gateway = await spawnGateway(env);
  const client = new TestClient(gateway.address);
  const topic = `bench-metrics-${Date.now()}`;
  await fillTopic(client, topic, RECEIVE, VALUE);
  const subscription = client.subscribe({ topic, group: 'bench' });
  const [assignment] = await subscription.until((a) => a.length === 1);

  // With metrics on: a Prometheus scrape every second and one dashboard page open.
  const scraper = metricsOn ? setInterval(() => void fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text()), 1_000) : undefined;
  const events = metricsOn ? request(`http://127.0.0.1:${metricsPort}/dashboard/events`, (response) => response.resume()).end() : undefined;

  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const call = (client.raw.Receive as unknown as (r: object) => import('@grpc/grpc-js').ClientReadableStream<unknown>).call(client.raw, { assignment });
    let seen = 0;
    call.on('data', () => {
      if (++seen === RECEIVE) {
        call.cancel();
        resolve();
      }
    });
    call.on('error', (err: { code?: number }) => (err.code === 1 ? undefined : reject(err)));
  });
  const rate = RECEIVE / (Number(process.hrtime.bigint() - started) / 1e9);

  clearInterval(scraper);
  events?.destroy();
  subscription.cancel();
  client.close();
  gateway.child.kill('SIGTERM');
  await gateway.exited;
  return rate;
}

const results: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const variant of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
    const rate = await round(variant === 'on');
    results[variant].push(rate);
    console.log(`round ${i + 1}, metrics ${variant}: ${Math.round(rate)} records/s`);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const off = median(results.off);
const on = median(results.on);
console.log(`Receive, one partition, ${RECEIVE} records of ${VALUE.length} B, ${ROUNDS} rounds (median):`);
console.log('| metrics | records/s |');
console.log('|---|---:|');
console.log(`| off (no admin port) | ${Math.round(off)} |`);
console.log(`| on (scraped every 1 s, dashboard events open) | ${Math.round(on)} |`);
console.log(`difference: ${(((on - off) / off) * 100).toFixed(1)} %`);
