/**
 * Throughput of the gateway over real gRPC on loopback, with the stores named
 * by RECORDS_STORE / POSITIONS_STORE (memory by default; KAFKA_BOOTSTRAP_SERVERS
 * and REDIS_URL as usual). Prints one table; numbers are whole-process on this
 * machine, so compare runs, not machines.
 *
 *   npx tsx bench/gateway.ts            # memory stores
 *   POSITIONS_STORE=redis REDIS_URL=redis://127.0.0.1:6379 npx tsx bench/gateway.ts
 */
import pino from 'pino';
import { startSluice } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { TestClient } from '../test/support/client.ts';

const PUBLISH = Number(process.env.BENCH_PUBLISH ?? 20_000);
const RECEIVE = Number(process.env.BENCH_RECEIVE ?? 200_000);
const ACKS = Number(process.env.BENCH_ACKS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const VALUE = Buffer.alloc(Number(process.env.BENCH_VALUE_BYTES ?? 100), 'x');

async function timed(label: string, count: number, run: () => Promise<void>) {
  const started = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { label, count, seconds, rate: count / seconds };
}

/** Runs `total` calls with at most `concurrency` in flight. */
async function pool(total: number, concurrency: number, call: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await call(next++);
    }),
  );
}

const config = loadConfig({ ...process.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', LOG_LEVEL: 'warn', MEMORY_PARTITIONS: '8', KAFKA_TOPIC_PARTITIONS: '8' });
const sluice = await startSluice(config, pino({ level: 'warn' }));
const client = new TestClient(`127.0.0.1:${sluice.port}`);
const topic = `bench-${Date.now()}`;
const results = [];

results.push(
  await timed(`Publish (gRPC, ${CONCURRENCY} in flight)`, PUBLISH, () =>
    pool(PUBLISH, CONCURRENCY, (i) => client.publish({ topic, key: Buffer.from(`k${i % 1000}`), value: VALUE })),
  ),
);

// Receive: one partition, RECEIVE records pre-loaded through the core.
const receiveTopic = `${topic}-receive`;
for (let i = 0; i < RECEIVE; i++) {
  await sluice.gateway.publish({ topic: receiveTopic, key: Buffer.from('one'), value: VALUE, event: null, headers: new Map() });
}
const subscription = client.subscribe({ topic: receiveTopic, group: 'bench' });
const assignments = await subscription.until((a) => a.length === 8, 60_000);
const target = (await client.publish({ topic: receiveTopic, key: Buffer.from('one'), value: VALUE })).partition;
results.push(
  await timed('Receive (one partition stream)', RECEIVE, async () => {
    await client.receive({ assignment: assignments.find((a) => a.partition === target) }).take(RECEIVE, 300_000);
  }),
);
subscription.cancel();

results.push(
  await timed(`Ack (gRPC, ${CONCURRENCY} in flight, 8 partitions)`, ACKS, () =>
    pool(ACKS, CONCURRENCY, (i) => client.ack({ topic, group: 'bench', partition: i % 8, offset: String(i) })),
  ),
);

console.log(`stores: records=${config.gateway.RECORDS_STORE} positions=${config.gateway.POSITIONS_STORE}, value ${VALUE.length} B`);
console.log('| operation | count | seconds | per second |');
console.log('|---|---:|---:|---:|');
for (const r of results) console.log(`| ${r.label} | ${r.count} | ${r.seconds.toFixed(2)} | ${Math.round(r.rate)} |`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
client.close();
await sluice.stop();
