/**
 * Sluice beside a direct kafkajs client, in one run, on one broker (started
 * here unless KAFKA_BOOTSTRAP_SERVERS is set): receive, publish, end-to-end
 * latency and many concurrent streams. Each scenario runs several rounds; the
 * report gives median and spread (min–max) and the ratio Sluice / direct of
 * the medians. Writes bench/results/<timestamp>.json, .md and .svg.
 *
 *   npm run bench                  # full (about 10 minutes here)
 *   BENCH_QUICK=1 npm run bench    # smoke test: small counts, one round
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import * as grpc from '@grpc/grpc-js';
import type { Kafka } from 'kafkajs';
import { FLOW_CONTROL_WINDOW } from '../src/client/client.ts';
import { TestClient } from '../test/support/client.ts';
import { startKafkaBroker } from '../test/support/kafka.ts';
import { spawnGateway } from '../test/support/process.ts';
import { kafkaClient, preloadTopic, readDirect } from './lib/kafka.ts';
import { readThroughSluice, readWithClient } from './lib/sluice.ts';
import { latencyRun } from './lib/latency.ts';
import { scaleRun } from './lib/scale.ts';
import { renderMarkdown, renderSvg, type Row } from './lib/report.ts';
import { javaConsumerRate, javaProducerRate } from './lib/kafka-perf.ts';
import { goPublishRate } from './lib/go-load.ts';
import { kafkaVersion } from '../scripts/kafka-broker.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : Number(process.env.BENCH_ROUNDS ?? 3);
const resultsDir = process.env.BENCH_RESULTS_DIR ? `${process.env.BENCH_RESULTS_DIR}/` : fileURLToPath(new URL('results/', import.meta.url));

const broker = process.env.KAFKA_BOOTSTRAP_SERVERS ? undefined : await startKafkaBroker({ fastStartup: false, heapMb: 768 });
const brokers = process.env.KAFKA_BOOTSTRAP_SERVERS ?? broker!.bootstrap;
const kafka = kafkaClient(brokers);
// GATEWAY_NODE_ARGS: Node flags for the gateway process only (e.g. V8 heap settings), to measure them.
const gateway = await spawnGateway(
  { RECORDS_STORE: 'kafka', KAFKA_BOOTSTRAP_SERVERS: brokers, POSITIONS_STORE: 'memory', LOG_LEVEL: 'info', KAFKA_TOPIC_PARTITIONS: '4' },
  { nodeArgs: (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean) },
);
const client = new TestClient(gateway.address);
// ReceiveBatch is read as the Sluice TS client reads it: its decoder and its channel's 4 MiB HTTP/2
// window (grpc-js otherwise keeps 64 KiB). Receive is read as a Liiklus client would: grpc-js defaults.
const batchClient = new TestClient(gateway.address, grpc.credentials.createInsecure(), { 'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW });

/** A row of the report before its rounds are run. */
interface Scenario extends Omit<Row, 'sluice' | 'direct'> {
  run(round: number): Promise<{ sluice: number; direct: number }>;
}

const scenarios: Scenario[] = [];
// Large enough for a steady rate: the gateway reads ahead up to 16 MiB plus one 4 MiB fetch per partition for a
// fast reader, so on a topic not much larger than that it streams from memory what the direct consumer still
// fetches (with 400,000 records of 100 B on 4 partitions, ReceiveBatch read 2.8x the direct consumer; with
// 1,500,000, 0.76x). About 130 MB of 100 B records and 420 MB of 1 KiB ones: with 200,000 of 1 KiB a round
// lasted about half a second, mostly both readers' ramp-up (the first third of a 600,000-record read ran 10-30 %
// below the rest, for either reader), and the rounds of one run spread up to 20 % either side of their median.
// 400,000 keeps the whole bench under 15 minutes.
const receiveCounts = QUICK ? { 100: 20_000, 1024: 5_000 } : { 100: 1_000_000, 1024: 400_000 };
// Receive (one message per record) reads several times slower, and a slow reader's read-ahead stays near the
// base mark (it grows with the reader's rate): a third of the topic keeps its rounds short.
const recordModeShare = QUICK ? 1 : 0.3;
for (const size of [100, 1024] as const) {
  for (const partitions of [1, 4]) {
    const count = receiveCounts[size];
    let topic: string | undefined;
    const preload = async () => {
      if (topic === undefined) {
        topic = `bench-recv-${size}-${partitions}-${Date.now()}`;
        await preloadTopic(kafka, topic, partitions, count, size);
      }
      return topic;
    };
    for (const mode of ['batch', 'record'] as const) {
      scenarios.push({
        group: 'receive',
        name: `${mode === 'batch' ? 'ReceiveBatch' : 'Receive'}, ${size} B, ${partitions} partition${partitions > 1 ? 's' : ''}`,
        unit: 'records/s',
        better: 'higher',
        sluiceLabel: mode === 'batch' ? 'Sluice ReceiveBatch' : 'Sluice Receive',
        directLabel: 'kafkajs eachBatch',
        run: async () => {
          const t = await preload();
          const read = mode === 'batch' ? count : Math.round(count * recordModeShare);
          const direct = await readDirect(kafka, t, read);
          const sluice = await readThroughSluice(mode === 'batch' ? batchClient : client, t, partitions, read, mode);
          return { sluice, direct };
        },
      });
    }
  }
}

/** A ReceiveBatch row on its own topic of 100 B records on 4 partitions, each with `headers`, read in `format`. */
function receiveBatchRow(name: string, topicPrefix: string, count: number, headers: Record<string, string>, format?: 'LIIKLUS_EVENT'): Scenario {
  return {
    group: 'receive',
    name,
    unit: 'records/s',
    better: 'higher',
    sluiceLabel: 'Sluice ReceiveBatch',
    directLabel: 'kafkajs eachBatch',
    run: async () => {
      const topic = `${topicPrefix}-${Date.now()}`;
      await preloadTopic(kafka, topic, 4, count, 100, headers);
      const direct = await readDirect(kafka, topic, count);
      const sluice = await readThroughSluice(batchClient, topic, 4, count, 'batch', format);
      return { sluice, direct };
    },
  };
}

// Records with a header, as tracing instrumentation writes them (a W3C traceparent): the header goes
// through the reply as bytes, no object per record.
scenarios.push(
  receiveBatchRow('ReceiveBatch, 100 B + traceparent header, 4 partitions', 'bench-recv-headers', QUICK ? 20_000 : 500_000, {
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  }),
);

// Events as Liiklus clients publish and read them: CloudEvents in binary mode (ce_ headers, as Sluice's
// Publish of a LiiklusEvent writes them), received as LiiklusEvent (format LIIKLUS_EVENT).
scenarios.push(
  receiveBatchRow(
    'ReceiveBatch LIIKLUS_EVENT, 100 B CloudEvents, 4 partitions',
    'bench-recv-events',
    QUICK ? 20_000 : 300_000,
    { ce_id: '9f1c7a52-3b0e-4c8a-a1a4-5d2f0e6b7c91', ce_type: 'com.example.order.created', ce_source: '/orders', ce_specversion: '1.0', 'content-type': 'application/json' },
    'LIIKLUS_EVENT',
  ),
);

// What an application gets: the Sluice TS client's subscribe().each(), acking as it goes.
{
  const count = receiveCounts[100];
  scenarios.push({
    group: 'receive',
    name: 'TS client subscribe().each(), 100 B, 4 partitions',
    unit: 'records/s',
    better: 'higher',
    sluiceLabel: 'Sluice TS client (ReceiveBatch, acks every 1,000)',
    directLabel: 'kafkajs eachBatch',
    run: async () => {
      const topic = `bench-client-${Date.now()}`;
      await preloadTopic(kafka, topic, 4, count, 100);
      const direct = await readDirect(kafka, topic, count);
      const sluice = await readWithClient(gateway.address, topic, count);
      return { sluice, direct };
    },
  });
}

const publishCounts = QUICK ? { batch: 2_000, 1: 200, 16: 1_000, 256: 2_000 } : { batch: 50_000, 1: 2_000, 16: 10_000, 256: 30_000 };
const PUBLISH_BATCH = 500;
scenarios.push({
  group: 'publish',
  name: `PublishBatch of ${PUBLISH_BATCH}, 4 in flight, 100 B`,
  unit: 'records/s',
  better: 'higher',
  sluiceLabel: 'Sluice PublishBatch',
  directLabel: 'kafkajs producer, same batches',
  run: async () => {
    const topic = `bench-pub-${Date.now()}`;
    const count = publishCounts.batch;
    const records = (i: number) => Array.from({ length: PUBLISH_BATCH }, (_, j) => ({ key: Buffer.from(`k${(i + j) % 1000}`), value: Buffer.alloc(100, 'x') }));
    await client.publish({ topic, value: Buffer.from('warm-up') }); // the topic is created outside the timed part, as for direct
    const sluice = count / (await pool(count / PUBLISH_BATCH, 4, (i) => client.publishBatch({ records: records(i).map((r) => ({ topic, ...r })) })));
    const direct = count / (await directPublish(kafka, `${topic}-direct`, count / PUBLISH_BATCH, 4, records));
    return { sluice, direct };
  },
});
for (const inFlight of [1, 16, 256] as const) {
  scenarios.push({
    group: 'publish',
    name: `Publish, ${inFlight} in flight, 100 B`,
    unit: 'records/s',
    better: 'higher',
    sluiceLabel: 'Sluice Publish (one record per call)',
    directLabel: 'kafkajs producer, same batches',
    run: async () => {
      const topic = `bench-unary-${inFlight}-${Date.now()}`;
      const count = publishCounts[inFlight];
      const value = Buffer.alloc(100, 'x');
      await client.publish({ topic, value: Buffer.from('warm-up') });
      const sluice = count / (await pool(count, inFlight, (i) => client.publish({ topic, key: Buffer.from(`k${i % 1000}`), value })));
      // The direct figure for comparison: the same records, PUBLISH_BATCH per send.
      const direct = count / (await directPublish(kafka, `${topic}-direct`, Math.ceil(count / PUBLISH_BATCH), 4, () =>
        Array.from({ length: PUBLISH_BATCH }, (_, j) => ({ key: Buffer.from(`k${j % 1000}`), value }))));
      return { sluice, direct };
    },
  });
}

// The same unary load from grpc-go (examples/go/cmd/publish-load): a grpc-js client spends more CPU per call
// than the gateway does (about 240 against 140 us here), so on two cores the row above measures the client
// as much as the gateway. Built with Go on first use (scripts/ensure-toolchains.sh installs protoc and plugins).
scenarios.push({
  group: 'publish',
  name: 'Publish, 256 in flight, 100 B, Go client',
  unit: 'records/s',
  better: 'higher',
  sluiceLabel: 'Sluice Publish from grpc-go (one record per call)',
  directLabel: 'kafkajs producer, same batches',
  run: async () => {
    const topic = `bench-unary-go-${Date.now()}`;
    const count = publishCounts[256];
    const sluice = await goPublishRate(gateway.address, topic, count, 256);
    const value = Buffer.alloc(100, 'x');
    const direct = count / (await directPublish(kafka, `${topic}-direct`, Math.ceil(count / PUBLISH_BATCH), 4, () =>
      Array.from({ length: PUBLISH_BATCH }, (_, j) => ({ key: Buffer.from(`k${j % 1000}`), value }))));
    return { sluice, direct };
  },
});

// The machine's limit: Kafka's own Java perf-test classes on the same broker, beside Sluice's batched RPCs
// (not in BENCH_QUICK: the kafka-tools jars are fetched with Maven on first use).
const limitCount = 200_000;
const brokerVersion = broker?.version ?? kafkaVersion();
const limits: Scenario[] = [];
let limitConsumeTopic: string | undefined;
let round0Pending = true;
limits.push({
  group: 'limit',
  name: 'consume 100 B, 4 partitions',
  unit: 'records/s',
  better: 'higher',
  sluiceLabel: 'Sluice ReceiveBatch',
  directLabel: 'Java consumer (kafka-consumer-perf-test)',
  run: async () => {
    // One topic for all rounds, as large as the receive rows' (a steady rate, not the gateway's read-ahead).
    const count = receiveCounts[100];
    limitConsumeTopic ??= `bench-limit-consume-${Date.now()}`;
    if (round0Pending) {
      await preloadTopic(kafka, limitConsumeTopic, 4, count, 100);
      round0Pending = false;
    }
    const direct = await javaConsumerRate(brokerVersion, brokers, limitConsumeTopic, count);
    const sluice = await readThroughSluice(batchClient, limitConsumeTopic, 4, count, 'batch');
    return { sluice, direct };
  },
});
limits.push({
  group: 'limit',
  name: 'produce 100 B (acks=all, idempotent)',
  unit: 'records/s',
  better: 'higher',
  sluiceLabel: `Sluice PublishBatch of ${PUBLISH_BATCH}, 4 in flight`,
  directLabel: 'Java producer (kafka-producer-perf-test)',
  run: async () => {
    const topic = `bench-limit-produce-${Date.now()}`;
    await client.publish({ topic, value: Buffer.from('warm-up') });
    const value = Buffer.alloc(100, 'x');
    const sluice = limitCount / (await pool(limitCount / PUBLISH_BATCH, 4, () => client.publishBatch({ records: Array.from({ length: PUBLISH_BATCH }, () => ({ topic, value })) })));
    const direct = await javaProducerRate(brokerVersion, brokers, topic, limitCount, 100);
    return { sluice, direct };
  },
});
if (!QUICK) scenarios.push(...limits);

// One latency run per rate and round gives all three percentiles (the p99 and p99.9 rows reuse it).
const latencyRuns = new Map<string, Promise<Awaited<ReturnType<typeof latencyRun>>>>();
for (const rate of [1_000, 10_000]) {
  for (const q of ['p50', 'p99', 'p99.9'] as const) {
    scenarios.push({
      group: 'latency',
      name: `publish → receive ${q} at ${rate.toLocaleString('en')}/s`,
      unit: 'ms',
      better: 'lower',
      sluiceLabel: 'through Sluice (ReceiveBatch)',
      directLabel: 'kafkajs consumer',
      run: async (round) => {
        const key = `${rate}/${round}`;
        if (!latencyRuns.has(key)) latencyRuns.set(key, latencyRun(kafka, client, rate, QUICK ? 2 : 10));
        const result = await latencyRuns.get(key)!;
        return { sluice: result.sluice[q], direct: result.direct[q] };
      },
    });
  }
}

const scaleStreams = QUICK ? [200] : [1_000, 10_000];

// BENCH_ONLY=<text>: only the scenarios whose group or name contains it (and no scale runs), for a quick look at one figure.
const only = process.env.BENCH_ONLY;
if (only !== undefined) {
  scenarios.splice(0, scenarios.length, ...scenarios.filter((s) => `${s.group}: ${s.name}`.includes(only)));
  scaleStreams.length = 0;
}

// Total work for the progress bar: scenario rounds plus scale runs.
const bar = new cliProgress.SingleBar({ format: 'bench [{bar}] {value}/{total} {scenario}', clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
const steps = scenarios.length * ROUNDS + scaleStreams.length;
let stepsDone = 0;
bar.start(steps, 0, { scenario: '' });
const rows: Row[] = [];
for (const scenario of scenarios) {
  const sluice: number[] = [];
  const direct: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bar.update({ scenario: `${scenario.group}: ${scenario.name} (round ${round + 1})` });
    // No terminal (CI, a log file): a line per step instead of the bar.
    // (cli-progress keeps no count without a terminal: the bar's own progress stays 0.)
    if (!process.stderr.isTTY) console.error(`bench ${Math.round((stepsDone / steps) * 100)} %: ${scenario.group}: ${scenario.name} (round ${round + 1})`);
    const r = await scenario.run(round);
    sluice.push(r.sluice);
    direct.push(r.direct);
    bar.increment();
    stepsDone++;
  }
  rows.push({ group: scenario.group, name: scenario.name, unit: scenario.unit, better: scenario.better, sluiceLabel: scenario.sluiceLabel, directLabel: scenario.directLabel, sluice, direct });
}
client.close();
batchClient.close();
gateway.child.kill('SIGTERM');
await gateway.exited;

const scale = [];
for (const streams of scaleStreams) {
  bar.update({ scenario: `scale: ${streams} Receive streams` });
  if (!process.stderr.isTTY) console.error(`bench ${Math.round((stepsDone / steps) * 100)} %: scale: ${streams} Receive streams`);
  scale.push(await scaleRun(streams));
  bar.increment();
  stepsDone++;
}
bar.stop();
await broker?.destroy();

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(resultsDir, { recursive: true });
const pkg = (name: string) => (JSON.parse(readFileSync(fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url)), 'utf8')) as { version: string }).version;
const report = {
  at: new Date().toISOString(),
  quick: QUICK,
  rounds: ROUNDS,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverage: os.loadavg(), node: process.version },
  versions: { kafka: broker?.version ?? `${brokerVersion} (shared broker)`, kafkajs: pkg('kafkajs'), grpcJs: pkg('@grpc/grpc-js') },
  rows,
  scale,
};
const base = `${resultsDir}${stamp}`;
writeFileSync(`${base}.json`, JSON.stringify(report, null, 2));
writeFileSync(`${base}.md`, renderMarkdown(report));
writeFileSync(`${base}.svg`, renderSvg(rows));
console.log(renderMarkdown(report));
console.log(`\nwritten: ${base}.json, .md, .svg`);

/** Runs `total` calls with at most `concurrency` in flight; resolves with the seconds taken. */
async function pool(total: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await call(next++);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A kafkajs producer as Sluice's (idempotent, acks=all) sending `batches` sends of `records(i)`; seconds taken. */
async function directPublish(kafka: Kafka, topic: string, batches: number, concurrency: number, records: (i: number) => Array<{ key: Buffer; value: Buffer }>): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    return await pool(batches, concurrency, (i) => producer.send({ topic, acks: -1, messages: records(i * PUBLISH_BATCH) }));
  } finally {
    await producer.disconnect();
  }
}

