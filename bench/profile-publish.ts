/**
 * CPU profile of a gateway taking PublishBatch (or unary Publish) calls on
 * the Kafka records store: the gateway runs with `node --cpu-prof`, the
 * .cpuprofile lands in bench/results/profiles/; also prints the gateway's CPU
 * per record. Summarise with `npx tsx bench/lib/profile-summary.ts <file>`.
 *
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 npx tsx bench/profile-publish.ts [batch|unary]
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../test/support/client.ts';
import { spawnGateway } from '../test/support/process.ts';
import { cpuSeconds } from './lib/scale.ts';

const brokers = process.env.KAFKA_BOOTSTRAP_SERVERS;
if (!brokers) throw new Error('KAFKA_BOOTSTRAP_SERVERS is required');
const mode = process.argv[2] === 'unary' ? 'unary' : 'batch';
const COUNT = Number(process.env.BENCH_RECORDS ?? (mode === 'batch' ? 100_000 : 20_000));
const BATCH = 500;
const IN_FLIGHT = mode === 'batch' ? 4 : 256;
const dir = fileURLToPath(new URL('results/profiles/', import.meta.url));
mkdirSync(dir, { recursive: true });

const gateway = await spawnGateway(
  { RECORDS_STORE: 'kafka', KAFKA_BOOTSTRAP_SERVERS: brokers, POSITIONS_STORE: 'memory', LOG_LEVEL: 'info', KAFKA_TOPIC_PARTITIONS: '4' },
  { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] },
);
const client = new TestClient(gateway.address);
const topic = `profile-publish-${Date.now()}`;
await client.publish({ topic, value: Buffer.from('warm-up') });
const value = Buffer.alloc(100, 'x');
const calls = mode === 'batch' ? COUNT / BATCH : COUNT;
const call = (i: number) =>
  mode === 'batch'
    ? client.publishBatch({ records: Array.from({ length: BATCH }, (_, j) => ({ topic, key: Buffer.from(`k${(i + j) % 1000}`), value })) })
    : client.publish({ topic, key: Buffer.from(`k${i % 1000}`), value });

const cpuBefore = cpuSeconds(gateway.child.pid!);
const clientCpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
let next = 0;
await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
  while (next < calls) await call(next++);
}));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = cpuSeconds(gateway.child.pid!) - cpuBefore;
const clientCpu = process.cpuUsage(clientCpuBefore);
client.close();
gateway.child.kill('SIGTERM');
await gateway.exited;
const perRecord = (cpuSeconds: number) => ((cpuSeconds * 1e6) / COUNT).toFixed(1);
console.log(`${mode}: ${Math.round(COUNT / seconds)} records/s over ${seconds.toFixed(1)} s; CPU per record: gateway ${perRecord(cpu)} µs, client ${perRecord((clientCpu.user + clientCpu.system) / 1e6)} µs`);
console.log(`profile in ${dir}`);
