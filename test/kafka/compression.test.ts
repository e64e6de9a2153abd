import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fetchKafka } from '../../scripts/kafka-broker.mjs';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { RecordBlock, type RecordRun, type StoredRecord } from '../../src/contracts/index.ts';
import { kafkaDrivers } from '../support/kafka-driver.ts';
import { ROOT } from '../support/process.ts';
import { assignmentWhere, uniqueName } from '../support/records.ts';
import { kafkaSource, makeStore, plainKafka } from './helpers.ts';

/**
 * Records a Java service writes with each of Kafka's compression codecs
 * (gzip, snappy, lz4, zstd: the Java client's compression.type) reach a
 * Sluice reader whole and in order, on every driver: a codec the gateway
 * cannot read would stop its partition for good.
 */
const run = promisify(execFile);
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const COUNT = 300;

/** Writes COUNT records to partition 0 of each topic with the Java client (test/support/java/CompressedProducer.java), in one JVM. */
async function javaProduce(specs: Array<{ topic: string; codec: string; headers: boolean }>): Promise<void> {
  const { lib } = await fetchKafka();
  const source = join(ROOT, 'test', 'support', 'java', 'CompressedProducer.java');
  const args = specs.map((s) => `${s.topic},${s.codec},${s.headers ? 'headers' : 'plain'}`);
  const { stdout } = await run('java', ['-cp', `${lib}/*`, source, inject('kafkaBootstrap'), String(COUNT), ...args], { timeout: 120_000 });
  for (const { topic } of specs) expect(stdout).toContain(`sent ${COUNT} to ${topic}`);
}

/** The topics, written once for every driver's reads: `<codec>-<headers>` → topic. */
const topics = new Map<string, string>();
beforeAll(async () => {
  const specs = CODECS.flatMap((codec) => [false, true].map((headers) => ({ topic: uniqueName(`compressed-${codec}`), codec, headers })));
  for (const s of specs) topics.set(`${s.codec}-${s.headers}`, s.topic);
  const admin = plainKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: specs.map(({ topic }) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  await javaProduce(specs);
}, 180_000);

const expectedValue = (codec: string, i: number) => `${codec}-${i}-${'x'.repeat(200)}`.slice(0, 200);

describe.each(kafkaDrivers())('records compressed by a Java producer (%s)', (driver) => {
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    store = await makeStore({ KAFKA_DRIVER: driver, KAFKA_TOPIC_PARTITIONS: '1' });
  });
  afterAll(async () => {
    await store?.close();
  });

  /** The records of partition 0 of `topic`, read from the start as the gateway's readers read them (blocks where the driver has them). */
  async function readAll(topic: string): Promise<{ records: StoredRecord[]; runs: RecordRun[] }> {
    const subscription = store.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'earliest', startOffsets: async () => new Map() });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    const runs: RecordRun[] = [];
    const records: StoredRecord[] = [];
    try {
      const [source] = await assignmentWhere(subscription.assignments, (s) => s.length === 1);
      const kafka = kafkaSource(source);
      const read = kafka.blocks ? kafka.blocks(controller.signal) : kafka.batches(controller.signal);
      for await (const run of read) {
        runs.push(run);
        records.push(...(run instanceof RecordBlock ? run.toRecords() : run));
        if (records.length >= COUNT) break;
      }
    } finally {
      clearTimeout(timer);
      controller.abort();
      await subscription.close();
    }
    return { records, runs };
  }

  it.each(CODECS)('%s: every record, in order, with its key and value', async (codec) => {
    const { records } = await readAll(topics.get(`${codec}-false`)!);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: COUNT }, (_, i) => BigInt(i)));
    expect(records.map((r) => Buffer.from(r.key!).toString())).toEqual(Array.from({ length: COUNT }, (_, i) => `k${i}`));
    expect(records.map((r) => Buffer.from(r.value!).toString())).toEqual(Array.from({ length: COUNT }, (_, i) => expectedValue(codec, i)));
  });

  it.each(CODECS)('%s with headers: every record with its header', async (codec) => {
    const { records } = await readAll(topics.get(`${codec}-true`)!);
    expect(records.map((r) => Buffer.from(r.headers.get('seq')!).toString())).toEqual(Array.from({ length: COUNT }, (_, i) => String(i)));
    expect(records.map((r) => Buffer.from(r.value!).toString())).toEqual(Array.from({ length: COUNT }, (_, i) => expectedValue(codec, i)));
  });

  if (driver === 'kafkajs') {
    it('compressed records, with headers or without, reach the reader as blocks (no object per record)', async () => {
      for (const key of ['lz4-false', 'zstd-true']) {
        const { runs } = await readAll(topics.get(key)!);
        expect(runs.every((r) => r instanceof RecordBlock)).toBe(true);
      }
    });
  }
});
