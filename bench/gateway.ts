/**
 * Throughput of a gateway process (started as `npm start` would) over real gRPC
 * on loopback, measured from a separate client process, with the stores named
 * by RECORDS_STORE / POSITIONS_STORE (memory by default; KAFKA_BOOTSTRAP_SERVERS
 * and REDIS_URL as usual). Prints one table; numbers are whole-process on this
 * machine, so compare runs, not machines.
 *
 *   npx tsx bench/gateway.ts            # memory stores
 *   POSITIONS_STORE=redis REDIS_URL=redis://127.0.0.1:6379 npx tsx bench/gateway.ts
 */
import { countRecords } from './lib/sluice.ts';
import { TestClient } from '../test/support/client.ts';
import { spawnGateway } from '../test/support/process.ts';
import { startRedisServer, type RedisServerHandle } from '../test/support/redis.ts';
import { commandCalls, commandsBetween } from '../test/redis/commandstats.ts';

const PUBLISH = Number(process.env.BENCH_PUBLISH ?? 20_000);
const RECEIVE = Number(process.env.BENCH_RECEIVE ?? 50_000);
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

// With redis positions and no REDIS_URL, a redis-server of our own, so that
// its command counts are ours alone.
let redis: RedisServerHandle | undefined;
if (process.env.POSITIONS_STORE === 'redis' && !process.env.REDIS_URL) {
  redis = await startRedisServer();
  process.env.REDIS_URL = redis.url;
}
const redisUrl = process.env.POSITIONS_STORE === 'redis' ? process.env.REDIS_URL : undefined;

const gateway = await spawnGateway({ LOG_LEVEL: 'info', MEMORY_PARTITIONS: '8', KAFKA_TOPIC_PARTITIONS: '8' });
const client = new TestClient(gateway.address);
const topic = `bench-${Date.now()}`;
const results = [];

results.push(
  await timed(`Publish (gRPC, ${CONCURRENCY} in flight)`, PUBLISH, () =>
    pool(PUBLISH, CONCURRENCY, (i) => client.publish({ topic, key: Buffer.from(`k${i % 1000}`), value: VALUE })),
  ),
);

// Receive: one partition holding RECEIVE records.
const receiveTopic = `${topic}-receive`;
await pool(RECEIVE, CONCURRENCY, () => client.publish({ topic: receiveTopic, key: Buffer.from('one'), value: VALUE }));
const subscription = client.subscribe({ topic: receiveTopic, group: 'bench' });
const assignments = await subscription.until((a) => a.length === 8, 60_000);
const target = (await client.publish({ topic: receiveTopic, key: Buffer.from('one'), value: VALUE })).partition;
results.push(
  await timed('Receive (one partition stream)', RECEIVE, async () => {
    await countRecords(client, assignments.find((a) => a.partition === target)!, RECEIVE);
  }),
);
subscription.cancel();

const before = redisUrl ? await commandCalls(redisUrl) : undefined;
results.push(
  await timed(`Ack (gRPC, ${CONCURRENCY} in flight, 8 partitions)`, ACKS, () =>
    pool(ACKS, CONCURRENCY, (i) => client.ack({ topic, group: 'bench', partition: i % 8, offset: String(i) })),
  ),
);
const redisCommands = redisUrl && before ? commandsBetween(before, await commandCalls(redisUrl)) : undefined;

console.log(`stores: records=${process.env.RECORDS_STORE ?? 'memory'} positions=${process.env.POSITIONS_STORE ?? 'memory'}, value ${VALUE.length} B`);
console.log('| operation | count | seconds | per second |');
console.log('|---|---:|---:|---:|');
for (const r of results) console.log(`| ${r.label} | ${r.count} | ${r.seconds.toFixed(2)} | ${Math.round(r.rate)} |`);
if (redisCommands) {
  console.log(`Redis commands during the ack run: ${redisCommands.total} (${JSON.stringify(redisCommands.byCommand)}), ${(redisCommands.total / ACKS).toFixed(3)} per ack`);
}
client.close();
gateway.child.kill('SIGTERM');
await gateway.exited;
await redis?.destroy();

