/**
 * Ack throughput of the Redis positions store, without the gateway:
 * N concurrent ackers, each owning one (group, partition) and acking
 * increasing offsets back to back (awaiting each ack, as a gRPC client
 * awaiting Ack would). Prints acks/s, Redis commands per ack (from INFO
 * commandstats), flushes and ack latency, next to a baseline that sends one
 * HSET per ack on a plain ioredis client.
 *
 *   npx tsx bench/acks.ts [--concurrency 1,10,100,1000] [--duration 3] [--partitions 32] [--fsync none|everysec|always] [--no-baseline]
 *
 * Uses its own redis-server on a free port (REDIS_URL to use another; command
 * counts are then only right if nothing else uses that server).
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseRedisUrl, RedisPositionsStore } from '../plugins/redis-positions/index.ts';
import { startRedisServer, type RedisServerHandle } from '../test/support/redis.ts';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '1,10,100,1000' },
    duration: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '32' },
    fsync: { type: 'string', default: 'none' },
    'no-baseline': { type: 'boolean', default: false },
  },
});
const levels = values.concurrency.split(',').map(Number);
const durationMs = Number(values.duration) * 1000;
const partitionsPerGroup = Number(values.partitions);
if (levels.some((n) => !Number.isInteger(n) || n < 1) || !(durationMs > 0) || !(partitionsPerGroup >= 1)) {
  throw new Error('usage: --concurrency 1,10,100 --duration <seconds> --partitions <per group>');
}
if (!['none', 'everysec', 'always'].includes(values.fsync)) throw new Error('--fsync must be none, everysec or always');

const PREFIX = 'sluice-bench:positions:';

async function commandCalls(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (match[1] !== 'info') total += Number(match[2]);
  return total;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Row {
  mode: string;
  ackers: number;
  groups: number;
  acks: number;
  seconds: number;
  commands: number;
  flushes: number | undefined;
  p50: number;
  p99: number;
}

type Ack = (group: string, partition: number, offset: bigint) => Promise<void>;

async function run(mode: string, ackers: number, ack: Ack, admin: Redis, flushes: () => number | undefined): Promise<Row> {
  const latencies: number[] = [];
  const commandsBefore = await commandCalls(admin);
  const flushesBefore = flushes();
  const start = performance.now();
  const deadline = start + durationMs;
  await Promise.all(
    Array.from({ length: ackers }, async (_, i) => {
      const group = `g${Math.floor(i / partitionsPerGroup)}`;
      const partition = i % partitionsPerGroup;
      for (let offset = 0n; ; offset++) {
        const t = performance.now();
        if (t >= deadline) return;
        await ack(group, partition, offset);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const commands = (await commandCalls(admin)) - commandsBefore;
  const after = flushes();
  const sorted = Float64Array.from(latencies).sort();
  return {
    mode,
    ackers,
    groups: Math.ceil(ackers / partitionsPerGroup),
    acks: latencies.length,
    seconds,
    commands,
    flushes: after === undefined || flushesBefore === undefined ? undefined : after - flushesBefore,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

function print(rows: Row[]): void {
  const header = ['mode', 'ackers', 'groups', 'acks/s', 'cmds/ack', 'acks/flush', 'p50 ms', 'p99 ms'];
  const lines = rows.map((r) => [
    r.mode,
    String(r.ackers),
    String(r.groups),
    Math.round(r.acks / r.seconds).toLocaleString('en-US'),
    (r.commands / r.acks).toFixed(4),
    r.flushes === undefined ? '-' : (r.acks / r.flushes).toFixed(1),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  let server: RedisServerHandle | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    const persistence = values.fsync === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', values.fsync];
    server = await startRedisServer({ args: persistence });
    url = server.url;
  }
  const connection = parseRedisUrl(url);
  const store = await RedisPositionsStore.connect({ connection, keyPrefix: PREFIX });
  const plain = new Redis({ host: connection.host, port: connection.port, db: connection.db, username: connection.username, password: connection.password, tls: connection.tls ? {} : undefined });
  const admin = new Redis({ host: connection.host, port: connection.port, db: connection.db, username: connection.username, password: connection.password, tls: connection.tls ? {} : undefined });
  const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
  console.log(
    `redis ${version} at ${connection.display}${server ? ` (own server, persistence: ${values.fsync === 'none' ? 'none' : `AOF appendfsync ${values.fsync}`})` : ''}; ` +
      `${durationMs / 1000} s per row; each acker owns one partition, ${partitionsPerGroup} partitions per group; node ${process.version}`,
  );
  try {
    const rows: Row[] = [];
    let topic = 0;
    // Warm-up (JIT, connections).
    await run('warmup', 10, (g, p, o) => store.update('warmup', { name: g, version: 0 }, p, o), admin, () => store.stats.flushes);
    for (const ackers of levels) {
      const t = `bench-${++topic}`;
      rows.push(await run('store', ackers, (g, p, o) => store.update(t, { name: g, version: 0 }, p, o), admin, () => store.stats.flushes));
      if (!values['no-baseline']) {
        const key = (g: string) => `${PREFIX}{baseline-${t}:${g}}`;
        rows.push(await run('1 HSET/ack', ackers, async (g, p, o) => void (await plain.hset(key(g), `0:${p}`, o.toString())), admin, () => undefined));
      }
    }
    print(rows);
  } finally {
    // Leave nothing behind on a server we did not start.
    if (!server) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
    }
    await store.close();
    plain.disconnect();
    admin.disconnect();
    await server?.destroy();
  }
}

await main();
