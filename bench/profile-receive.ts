/**
 * CPU profile of a gateway serving one client that reads a preloaded topic
 * (Kafka records store): the gateway runs with `node --cpu-prof`, the
 * .cpuprofile lands in bench/results/profiles/. Summarise it with
 * `npx tsx bench/lib/profile-summary.ts <file>`.
 *
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 npx tsx bench/profile-receive.ts [record|batch]
 */
import * as grpc from '@grpc/grpc-js';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../test/support/client.ts';
import { spawnGateway } from '../test/support/process.ts';
import { kafkaClient, preloadTopic, readDirect } from './lib/kafka.ts';
import { cpuSeconds } from './lib/scale.ts';
import { readThroughSluice, type ReceiveMode } from './lib/sluice.ts';

const brokers = process.env.KAFKA_BOOTSTRAP_SERVERS;
if (!brokers) throw new Error('KAFKA_BOOTSTRAP_SERVERS is required');
const mode = (process.argv[2] ?? 'record') as ReceiveMode;
const COUNT = Number(process.env.BENCH_RECORDS ?? 200_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const dir = fileURLToPath(new URL('results/profiles/', import.meta.url));
mkdirSync(dir, { recursive: true });

const kafka = kafkaClient(brokers);
const topic = `profile-${mode}-${Date.now()}`;
await preloadTopic(kafka, topic, PARTITIONS, COUNT, Number(process.env.BENCH_SIZE ?? 100));

const direct = await readDirect(kafka, topic, COUNT);

const gateway = await spawnGateway({
  RECORDS_STORE: 'kafka',
  KAFKA_BOOTSTRAP_SERVERS: brokers,
  POSITIONS_STORE: 'memory',
  LOG_LEVEL: 'info',
  ...JSON.parse(process.env.GW_ENV ?? '{}'),
}, { nodeArgs: [...(process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean), '--cpu-prof', `--cpu-prof-dir=${dir}`] });
const window = Number(process.env.BENCH_CLIENT_WINDOW ?? 0);
const client = new TestClient(gateway.address, grpc.credentials.createInsecure(), window ? { 'grpc-node.flow_control_window': window } : {});

const gatewayCpuBefore = cpuSeconds(gateway.child.pid!);
const clientCpuBefore = process.cpuUsage();
const sluice = await readThroughSluice(client, topic, PARTITIONS, COUNT, mode);
const clientCpu = process.cpuUsage(clientCpuBefore);
const gatewayCpu = cpuSeconds(gateway.child.pid!) - gatewayCpuBefore;
// CPU per record over the whole read (subscribe and the first fetch included).
const perRecordMicros = (seconds: number) => ((seconds * 1e6) / COUNT).toFixed(2);
console.log(`CPU per record: gateway ${perRecordMicros(gatewayCpu)} µs, client ${perRecordMicros((clientCpu.user + clientCpu.system) / 1e6)} µs`);
client.close();
gateway.child.kill('SIGTERM');
await gateway.exited;
console.log(`direct kafkajs: ${Math.round(direct)} records/s; Sluice ${mode}: ${Math.round(sluice)} records/s; ratio ${(sluice / direct).toFixed(2)}`);
console.log(`profile in ${dir}`);
