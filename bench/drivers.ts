/**
 * Direct kafkajs against direct @platformatic/kafka (issue 13), consuming and
 * producing on one broker, with no gateway in between: the ceiling each
 * driver would give the gateway; and beside them the gateway on each driver
 * (KAFKA_DRIVER=kafkajs / platformatic, one gateway process each): ReceiveBatch
 * of the same preloaded topic (one subscription, every partition), and
 * PublishBatch of the same number of records (batches of DRIVERS_BATCH, 4 in
 * flight: the gateway's publish coalesces concurrent calls). Several rounds, drivers alternating within a
 * round so that a load spike on the shared machine hits both; median, spread
 * (min–max) and the ratio platformatic / kafkajs of the medians.
 *
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 npx tsx bench/drivers.ts
 *   DRIVERS_RECORDS=200000 DRIVERS_ROUNDS=5 DRIVERS_VALUE_BYTES=100 DRIVERS_PARTITIONS=4
 *
 * Without KAFKA_BOOTSTRAP_SERVERS it starts its own broker (full JIT, like a
 * real one). Exported as runDriverBench for a runner (bench/run.ts) to call.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Consumer, MessagesStreamModes, ProduceAcks, Producer } from '@platformatic/kafka';
import { startKafkaBroker } from '../scripts/kafka-broker.mjs';
import { spawnGateway, type GatewayProcess } from '../test/support/process.ts';
import { TestClient } from '../test/support/client.ts';
import { kafkaClient, preloadTopic } from './lib/kafka.ts';
import { latencyRun } from './lib/latency.ts';
import { readThroughSluice } from './lib/sluice.ts';

const MiB = 1024 * 1024;

export interface DriverBenchOptions {
  bootstrap: string;
  records: number;
  valueBytes: number;
  partitions: number;
  rounds: number;
  /** Records per produce request. */
  batch: number;
}

/** One way of reading or writing, timed: records per second. */
interface Variant {
  name: string;
  driver: 'kafkajs' | 'platformatic';
  /** Through the gateway (on this driver), rather than the client library directly. */
  gateway?: boolean;
  run(topic: string, o: DriverBenchOptions): Promise<number>;
}

/** One gateway process per driver, started on first use (RECORDS_STORE=kafka, positions in memory). */
const gateways = new Map<string, Promise<{ process: GatewayProcess; client: TestClient }>>();

function gateway(driver: 'kafkajs' | 'platformatic', o: DriverBenchOptions): Promise<{ process: GatewayProcess; client: TestClient }> {
  let started = gateways.get(driver);
  if (!started) {
    started = spawnGateway({
      RECORDS_STORE: 'kafka',
      POSITIONS_STORE: 'memory',
      KAFKA_BOOTSTRAP_SERVERS: o.bootstrap,
      KAFKA_DRIVER: driver,
      KAFKA_TOPIC_PARTITIONS: String(o.partitions),
      LOG_LEVEL: 'info',
    }).then((process) => ({ process, client: new TestClient(process.address) }));
    gateways.set(driver, started);
  }
  return started;
}

async function stopGateways(): Promise<void> {
  for (const started of gateways.values()) {
    const { process, client } = await started;
    client.close();
    process.child.kill('SIGTERM');
    await process.exited;
  }
  gateways.clear();
}

async function gatewayReceive(driver: 'kafkajs' | 'platformatic', topic: string, o: DriverBenchOptions): Promise<number> {
  const { client } = await gateway(driver, o);
  return readThroughSluice(client, topic, o.partitions, o.records, 'batch');
}

async function gatewayPublish(driver: 'kafkajs' | 'platformatic', topic: string, o: DriverBenchOptions): Promise<number> {
  const { client } = await gateway(driver, o);
  const value = Buffer.alloc(o.valueBytes, 'x');
  const batches = Math.ceil(o.records / o.batch);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = next++; i < batches; i = next++) {
        const n = Math.min(o.batch, o.records - i * o.batch);
        await client.publishBatch({ records: Array.from({ length: n }, (_, j) => ({ topic, key: Buffer.from(String(i * o.batch + j)), value })) });
      }
    }),
  );
  return o.records / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * The same fetch limits for both clients. Their authors' benchmark
 * (platformatic/kafka benchmarks/consumer.ts) uses maxBytes 2048 and a 10 ms
 * wait: DRIVERS_FETCH_MAX_BYTES=2048 DRIVERS_FETCH_MAX_WAIT_MS=10 reproduces that.
 */
const fetchSettings = {
  maxBytesPerPartition: Number(process.env.DRIVERS_FETCH_MAX_BYTES_PER_PARTITION ?? 1 * MiB),
  maxBytes: Number(process.env.DRIVERS_FETCH_MAX_BYTES ?? 10 * MiB),
  maxWaitMs: Number(process.env.DRIVERS_FETCH_MAX_WAIT_MS ?? 100),
};

/**
 * Time from the consumer having joined its group to the last record: the
 * fetches are all counted, connecting and the group join (which differ in
 * round trips, not in record throughput) are not.
 */
function clock() {
  let joined = 0n;
  return {
    joined() {
      if (joined === 0n) joined = process.hrtime.bigint();
    },
    rate(count: number) {
      return count / (Number(process.hrtime.bigint() - joined) / 1e9);
    },
  };
}

async function kafkajsConsume(topic: string, o: DriverBenchOptions, style: 'eachBatch' | 'eachMessage'): Promise<number> {
  const consumer = kafkaClient(o.bootstrap, 'drivers-bench').consumer({
    groupId: `drivers-${randomUUID()}`,
    maxBytesPerPartition: fetchSettings.maxBytesPerPartition,
    maxBytes: fetchSettings.maxBytes,
    maxWaitTimeInMs: fetchSettings.maxWaitMs,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const timing = clock();
  consumer.on(consumer.events.GROUP_JOIN, () => timing.joined());
  let seen = 0;
  let rate = 0;
  const done = new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    const finish = () => {
      rate = timing.rate(seen);
      resolve();
    };
    void consumer.run(
      style === 'eachBatch'
        ? {
            autoCommit: false,
            partitionsConsumedConcurrently: o.partitions,
            eachBatch: async ({ batch }) => {
              seen += batch.messages.length;
              if (seen >= o.records) finish();
            },
          }
        : {
            autoCommit: false,
            partitionsConsumedConcurrently: o.partitions,
            eachMessage: async () => {
              if (++seen >= o.records) finish();
            },
          },
    );
  });
  await done;
  await consumer.disconnect();
  return rate;
}

async function platformaticConsume(topic: string, o: DriverBenchOptions, style: 'data' | 'for-await'): Promise<number> {
  // No deserializers: keys, values and headers stay Buffers, as the gateway wants them.
  const consumer = new Consumer({
    clientId: 'drivers-bench',
    groupId: `drivers-${randomUUID()}`,
    bootstrapBrokers: o.bootstrap.split(','),
    autocommit: false,
    minBytes: 1,
    maxBytes: fetchSettings.maxBytes,
    maxBytesPerPartition: fetchSettings.maxBytesPerPartition,
    maxWaitTime: fetchSettings.maxWaitMs,
  });
  const timing = clock();
  let seen = 0;
  try {
    consumer.on('consumer:group:join', () => timing.joined());
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, highWaterMark: 4096 });
    if (style === 'data') {
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        stream.on('data', () => {
          if (++seen === o.records) resolve();
        });
      });
    } else {
      for await (const _message of stream) {
        if (++seen >= o.records) break;
      }
    }
    return timing.rate(seen);
  } finally {
    await consumer.close(true);
  }
}

/** Sequential produce requests of `batch` records each, acks from the leader, no compression, round-robin partitions. */
async function kafkajsProduce(topic: string, o: DriverBenchOptions): Promise<number> {
  const producer = kafkaClient(o.bootstrap, 'drivers-bench').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(o.valueBytes, 'x');
  const started = process.hrtime.bigint();
  for (let sent = 0; sent < o.records; sent += o.batch) {
    const n = Math.min(o.batch, o.records - sent);
    await producer.send({ topic, acks: 1, messages: Array.from({ length: n }, (_, i) => ({ partition: (sent + i) % o.partitions, value })) });
  }
  const rate = o.records / (Number(process.hrtime.bigint() - started) / 1e9);
  await producer.disconnect();
  return rate;
}

async function platformaticProduce(topic: string, o: DriverBenchOptions): Promise<number> {
  const producer = new Producer({ clientId: 'drivers-bench', bootstrapBrokers: o.bootstrap.split(','), acks: ProduceAcks.LEADER, autocreateTopics: false });
  const value = Buffer.alloc(o.valueBytes, 'x');
  try {
    // Connection and metadata before the clock starts, as kafkajs's connect() does.
    await producer.metadata({ topics: [topic] });
    const started = process.hrtime.bigint();
    for (let sent = 0; sent < o.records; sent += o.batch) {
      const n = Math.min(o.batch, o.records - sent);
      await producer.send({ messages: Array.from({ length: n }, (_, i) => ({ topic, partition: (sent + i) % o.partitions, value })) });
    }
    return o.records / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await producer.close();
  }
}

const CONSUME: Variant[] = [
  { name: 'kafkajs eachBatch', driver: 'kafkajs', run: (t, o) => kafkajsConsume(t, o, 'eachBatch') },
  { name: 'kafkajs eachMessage', driver: 'kafkajs', run: (t, o) => kafkajsConsume(t, o, 'eachMessage') },
  { name: "platformatic 'data' events", driver: 'platformatic', run: (t, o) => platformaticConsume(t, o, 'data') },
  { name: 'platformatic for await', driver: 'platformatic', run: (t, o) => platformaticConsume(t, o, 'for-await') },
  { name: 'gateway ReceiveBatch, KAFKA_DRIVER=kafkajs', driver: 'kafkajs', gateway: true, run: (t, o) => gatewayReceive('kafkajs', t, o) },
  { name: 'gateway ReceiveBatch, KAFKA_DRIVER=platformatic', driver: 'platformatic', gateway: true, run: (t, o) => gatewayReceive('platformatic', t, o) },
];

const PRODUCE: Variant[] = [
  { name: 'kafkajs send', driver: 'kafkajs', run: kafkajsProduce },
  { name: 'platformatic send', driver: 'platformatic', run: platformaticProduce },
  { name: 'gateway PublishBatch, KAFKA_DRIVER=kafkajs', driver: 'kafkajs', gateway: true, run: (t, o) => gatewayPublish('kafkajs', t, o) },
  { name: 'gateway PublishBatch, KAFKA_DRIVER=platformatic', driver: 'platformatic', gateway: true, run: (t, o) => gatewayPublish('platformatic', t, o) },
];

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = kafkaClient(bootstrap, 'drivers-bench').admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export interface DriverFigure {
  kind: 'consume' | 'produce';
  name: string;
  driver: 'kafkajs' | 'platformatic';
  gateway: boolean;
  rates: number[];
  median: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs every variant `rounds` times, alternating; returns the figures (records/s). */
export async function runDriverBench(o: DriverBenchOptions, log: (line: string) => void = console.log): Promise<DriverFigure[]> {
  // One preloaded topic read by every consumer (each in a new group, from the beginning).
  const source = `drivers-src-${randomUUID()}`;
  await preloadTopic(kafkaClient(o.bootstrap), source, o.partitions, o.records, o.valueBytes);
  const figures = new Map<string, DriverFigure>();
  const record = (kind: DriverFigure['kind'], v: Variant, rate: number) => {
    const key = `${kind}:${v.name}`;
    const f = figures.get(key) ?? { kind, name: v.name, driver: v.driver, gateway: v.gateway ?? false, rates: [], median: 0 };
    f.rates.push(rate);
    figures.set(key, f);
  };
  const only = process.env.DRIVERS_ONLY; // e.g. "gateway": only the gateway variants
  const wanted = (v: Variant) => !only || (only === 'gateway' ? v.gateway === true : v.gateway !== true);
  try {
  for (let round = 0; round < o.rounds; round++) {
    // Alternate the order per round: neither driver always runs first (cold) or last.
    const order = <T>(xs: T[]) => (round % 2 === 0 ? xs : [...xs].reverse());
    for (const v of order(CONSUME.filter(wanted))) {
      const rate = await v.run(source, o);
      record('consume', v, rate);
      log(`  round ${round + 1} consume ${v.name}: ${Math.round(rate).toLocaleString('en')} records/s`);
    }
    for (const v of order(PRODUCE.filter(wanted))) {
      const topic = `drivers-dst-${randomUUID()}`;
      await createTopic(o.bootstrap, topic, o.partitions);
      const rate = await v.run(topic, o);
      record('produce', v, rate);
      log(`  round ${round + 1} produce ${v.name}: ${Math.round(rate).toLocaleString('en')} records/s`);
    }
  }
  } finally {
    await stopGateways();
  }
  for (const f of figures.values()) f.median = median(f.rates);
  return [...figures.values()];
}

/**
 * A Markdown table: median, min–max, the ratio to the direct kafkajs variant
 * of the same kind (eachBatch / send) and, for a gateway row, to the direct
 * client of its own driver (eachBatch / 'data' events; send).
 */
export function driverTable(figures: DriverFigure[]): string {
  const direct = (kind: DriverFigure['kind'], driver: DriverFigure['driver']) => figures.find((f) => f.kind === kind && f.driver === driver && !f.gateway)?.median ?? NaN;
  const base = (kind: DriverFigure['kind']) => direct(kind, 'kafkajs');
  const k = (n: number) => `${Math.round(n / 1000).toLocaleString('en')}k`;
  // No direct figure (DRIVERS_ONLY=gateway): no ratio.
  const ratio = (a: number, b: number) => (Number.isFinite(b) ? (a / b).toFixed(2) : '');
  const rows = figures.map(
    (f) =>
      `| ${f.kind} | ${f.name} | ${k(f.median)} | ${k(Math.min(...f.rates))}–${k(Math.max(...f.rates))} | ${ratio(f.median, base(f.kind))} | ${f.gateway ? ratio(f.median, direct(f.kind, f.driver)) : ''} |`,
  );
  return ['| | client | median records/s | min–max | × direct kafkajs | gateway × its direct driver |', '|---|---|---:|---:|---:|---:|', ...rows].join('\n');
}

/**
 * Publish → receive latency through the gateway on each driver (bench/lib/latency.ts:
 * `rate` records/s for `seconds`, ReceiveBatch on 4 partitions, a direct kafkajs
 * consumer beside it), drivers alternating per round. DRIVERS_LATENCY=0 skips it.
 */
async function latencyTable(o: DriverBenchOptions, log: (line: string) => void): Promise<string> {
  const rows: string[] = [];
  const seconds = Number(process.env.DRIVERS_LATENCY_SECONDS ?? 10);
  try {
    for (const rate of [1_000, 10_000]) {
      for (const driver of ['kafkajs', 'platformatic'] as const) {
        const { client } = await gateway(driver, o);
        const result = await latencyRun(kafkaClient(o.bootstrap), client, rate, seconds);
        const ms = (n: number) => n.toFixed(1);
        log(`  latency ${rate}/s ${driver}: p50 ${ms(result.sluice.p50)} p99 ${ms(result.sluice.p99)} ms (direct kafkajs ${ms(result.direct.p50)} / ${ms(result.direct.p99)})`);
        rows.push(
          `| ${rate.toLocaleString('en')}/s | KAFKA_DRIVER=${driver} | ${ms(result.sluice.p50)} | ${ms(result.sluice.p99)} | ${ms(result.sluice['p99.9'])} | ${ms(result.direct.p50)} / ${ms(result.direct.p99)} | ${result.sluice.count} |`,
        );
      }
    }
  } finally {
    await stopGateways();
  }
  return ['| rate | gateway | p50 ms | p99 ms | p99.9 ms | direct kafkajs p50 / p99 ms | records |', '|---|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

async function main() {
  const env = process.env;
  const num = (key: string, fallback: number) => (env[key] ? Number(env[key]) : fallback);
  let bootstrap = env.KAFKA_BOOTSTRAP_SERVERS;
  const own = bootstrap ? undefined : await startKafkaBroker({ fastStartup: false, heapMb: 1024 });
  bootstrap ??= own!.bootstrap;
  const options: DriverBenchOptions = {
    bootstrap,
    records: num('DRIVERS_RECORDS', 100_000),
    valueBytes: num('DRIVERS_VALUE_BYTES', 100),
    partitions: num('DRIVERS_PARTITIONS', 4),
    rounds: num('DRIVERS_ROUNDS', 3),
    batch: num('DRIVERS_BATCH', 1_000),
  };
  try {
    console.log(
      `fetch: maxBytes ${fetchSettings.maxBytes}, maxBytesPerPartition ${fetchSettings.maxBytesPerPartition}, maxWait ${fetchSettings.maxWaitMs} ms; direct clients: kafkajs ${installedVersion('kafkajs')} vs @platformatic/kafka ${installedVersion('@platformatic/kafka')}; ${options.records.toLocaleString('en')} × ${options.valueBytes} B on ${options.partitions} partitions, ${options.rounds} rounds, produce batches of ${options.batch}, broker ${bootstrap}`,
    );
    const figures = await runDriverBench(options);
    console.log(`\n${driverTable(figures)}`);
    if (env.DRIVERS_LATENCY !== '0') console.log(`\n${await latencyTable(options, console.log)}`);
  } finally {
    await own?.destroy();
  }
}

/** The installed version of a package (read from its package.json: not every package exports that path). */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
