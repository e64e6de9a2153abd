/**
 * CPU profile of a gateway serving one client that reads a preloaded topic
 * (Kafka records store): the gateway runs with `node --cpu-prof`, the
 * .cpuprofile lands in bench/results/profiles/. Summarise it with
 * `npx tsx bench/lib/profile-summary.ts <file>`.
 *
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 npx tsx bench/profile-receive.ts [record|batch]
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../test/support/client.ts';
import { spawnGateway } from '../test/support/process.ts';
import { kafkaClient, preloadTopic, readDirect } from './lib/kafka.ts';
import { readThroughSluice, type ReceiveMode } from './lib/sluice.ts';

const brokers = process.env.KAFKA_BOOTSTRAP_SERVERS;
if (!brokers) throw new Error('KAFKA_BOOTSTRAP_SERVERS is required');
const mode = (process.argv[2] ?? 'record') as ReceiveMode;
const COUNT = Number(process.env.BENCH_RECORDS ?? 200_000);
const PARTITIONS = 4;
const dir = fileURLToPath(new URL('results/profiles/', import.meta.url));
mkdirSync(dir, { recursive: true });

const kafka = kafkaClient(brokers);
const topic = `profile-${mode}-${Date.now()}`;
await preloadTopic(kafka, topic, PARTITIONS, COUNT, 100);
console.error("preloaded");
const direct = await readDirect(kafka, topic, COUNT);
console.error("direct done");
const gateway = await spawnGateway({
  RECORDS_STORE: 'kafka',
  KAFKA_BOOTSTRAP_SERVERS: brokers,
  POSITIONS_STORE: 'memory',
  LOG_LEVEL: 'info',
}, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
const client = new TestClient(gateway.address);
console.error("gateway up");
const seconds = await readThroughSluice(client, topic, PARTITIONS, COUNT, mode);
client.close();
gateway.child.kill('SIGTERM');
await gateway.exited;
console.log(`direct kafkajs: ${Math.round(COUNT / direct)} records/s; Sluice ${mode}: ${Math.round(COUNT / seconds)} records/s; ratio ${(direct / seconds).toFixed(2)}`);
console.log(`profile in ${dir}`);
