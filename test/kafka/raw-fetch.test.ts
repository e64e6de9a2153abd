import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { RecordBlock, type RecordRun, type StoredRecord } from '../../src/contracts/index.ts';
import { assignmentWhere, uniqueName } from '../support/records.ts';
import { kafkaSource, makeStore, plainKafka, readPlain } from './helpers.ts';

/**
 * The gateway's own consumer groups fetch without an object per record
 * (drivers/kafkajs/raw-messages.ts): plain records reach the reader as
 * RecordBlocks, and kafkajs's rules still hold on a real broker: control
 * records and aborted transactions are never delivered, records with headers
 * come as blocks with their headers, CloudEvents too (as objects where a
 * block cannot carry them: a repeated header name), and another kafkajs
 * consumer in the process is untouched.
 * A fetch response is read into one buffer (drivers/kafkajs/response-socket.ts)
 * and never copied whole.
 */
describe('Kafka records store (kafkajs): records as blocks', () => {
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    store = await makeStore({ KAFKA_DRIVER: 'kafkajs', KAFKA_TOPIC_PARTITIONS: '1' });
  });
  afterAll(async () => {
    await store?.close();
  });

  /** Pulls runs from the partition's blocks() until `count` records came; returns the runs. */
  async function readRuns(topic: string, count: number): Promise<RecordRun[]> {
    const subscription = store.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'earliest', startOffsets: async () => new Map() });
    const controller = new AbortController();
    try {
      const [source] = await assignmentWhere(subscription.assignments, (s) => s.length === 1);
      const runs: RecordRun[] = [];
      let seen = 0;
      for await (const run of kafkaSource(source).blocks(controller.signal)) {
        runs.push(run);
        seen += run.length;
        if (seen >= count) break;
      }
      return runs;
    } finally {
      controller.abort();
      await subscription.close();
    }
  }

  /** Creates `topic` (one partition) and writes to it with plain kafkajs producers. */
  async function produce(topic: string, write: (kafka: ReturnType<typeof plainKafka>) => Promise<void>): Promise<void> {
    const kafka = plainKafka();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await write(kafka);
  }

  async function send(kafka: ReturnType<typeof plainKafka>, topic: string, messages: Array<{ value: string; headers?: Record<string, string | string[]> }>): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: messages.map((m) => ({ ...m, partition: 0 })) });
    } finally {
      await producer.disconnect();
    }
  }

  /** A transaction of `values`, committed or aborted. */
  async function transaction(kafka: ReturnType<typeof plainKafka>, topic: string, values: string[], end: 'commit' | 'abort'): Promise<void> {
    const producer = kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: values.map((value) => ({ partition: 0, value })) });
      await (end === 'commit' ? tx.commit() : tx.abort());
    } finally {
      await producer.disconnect();
    }
  }

  /** Resolves once the partition's end offset is `offset` or more. */
  async function endOffsetReaches(kafka: ReturnType<typeof plainKafka>, topic: string, offset: number): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const deadline = Date.now() + 20_000;
      while (Number((await admin.fetchTopicOffsets(topic))[0]!.high) < offset) {
        if (Date.now() > deadline) throw new Error(`end offset of ${topic} did not reach ${offset}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await admin.disconnect();
    }
  }

  const records = (runs: RecordRun[]): StoredRecord[] => runs.flatMap((run) => (run instanceof RecordBlock ? run.toRecords() : [...run]));
  const values = (runs: RecordRun[]): string[] => records(runs).map((r) => Buffer.from(r.value!).toString());
  const plainValues = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

  it('plain records and a committed transaction come as blocks, its commit marker left out', async () => {
    const topic = uniqueName('raw');
    await produce(topic, async (kafka) => {
      await send(kafka, topic, plainValues('plain', 50).map((value) => ({ value })));
      await transaction(kafka, topic, ['committed-0', 'committed-1'], 'commit');
      // The coordinator writes the commit marker after commit() returns: the next records go after it.
      await endOffsetReaches(kafka, topic, 53);
      await send(kafka, topic, plainValues('after', 10).map((value) => ({ value })));
    });
    const expected = [...plainValues('plain', 50), 'committed-0', 'committed-1', ...plainValues('after', 10)];
    const runs = await readRuns(topic, expected.length);
    expect(values(runs)).toEqual(expected);
    expect(runs.every((run) => run instanceof RecordBlock)).toBe(true);
    // The commit marker (offset 52) is skipped, not delivered.
    expect(records(runs).map((r) => r.offset)).toEqual([...Array.from({ length: 52 }, (_, i) => BigInt(i)), ...Array.from({ length: 10 }, (_, i) => BigInt(53 + i))]);
  });

  it('a fetch with an aborted transaction leaves its records out (decoded as kafkajs would, with its filters)', async () => {
    const topic = uniqueName('raw-aborted');
    await produce(topic, async (kafka) => {
      await send(kafka, topic, plainValues('plain', 5).map((value) => ({ value })));
      await transaction(kafka, topic, ['aborted-0', 'aborted-1'], 'abort');
      await transaction(kafka, topic, ['committed-0'], 'commit');
      await send(kafka, topic, plainValues('after', 5).map((value) => ({ value })));
    });
    const expected = [...plainValues('plain', 5), 'committed-0', ...plainValues('after', 5)];
    expect(values(await readRuns(topic, expected.length))).toEqual(expected);
  });

  it('records with headers come as blocks, with their headers', async () => {
    const topic = uniqueName('raw-headers');
    await produce(topic, (kafka) => send(kafka, topic, [{ value: 'h', headers: { trace: 'abc', tenant: 'x' } }, { value: 'no headers' }]));
    const runs = await readRuns(topic, 2);
    expect(runs.every((run) => run instanceof RecordBlock)).toBe(true);
    const got = records(runs);
    expect(Object.fromEntries([...got[0]!.headers].map(([name, value]) => [name, Buffer.from(value).toString()]))).toEqual({ trace: 'abc', tenant: 'x' });
    expect(got[1]!.headers.size).toBe(0);
    expect(Buffer.from(got[1]!.value!).toString()).toBe('no headers');
  });

  it('CloudEvents come as blocks, their attributes as the event; a fetch with a repeated header name comes as objects', async () => {
    const events = uniqueName('raw-events');
    const event = { ce_id: '1', ce_type: 't', ce_source: 's', ce_specversion: '1.0', ce_tenant: 'x', 'content-type': 'text/plain', trace: 'abc' };
    await produce(events, (kafka) => send(kafka, events, [{ value: 'event', headers: event }, { value: 'plain' }]));
    const eventRuns = await readRuns(events, 2);
    expect(eventRuns.every((run) => run instanceof RecordBlock)).toBe(true);
    const [got, plain] = records(eventRuns);
    expect(got!.event).toMatchObject({ id: '1', type: 't', source: 's', time: '', dataContentType: 'text/plain', extensions: { tenant: 'x' } });
    expect(Buffer.from(got!.event!.data).toString()).toBe('event');
    expect([...got!.headers.keys()]).toEqual(['trace']);
    expect(plain!.event).toBeNull();

    const repeated = uniqueName('raw-repeated-header');
    await produce(repeated, (kafka) => send(kafka, repeated, [{ value: 'twice', headers: { trace: ['first', 'second'] } }, { value: 'plain' }]));
    const runs = await readRuns(repeated, 2);
    expect(runs.every((run) => Array.isArray(run))).toBe(true);
    // The last value of a repeated name counts, as Kafka's lastHeader.
    expect(Buffer.from(records(runs)[0]!.headers.get('trace')!).toString()).toBe('second');
  });

  it('another kafkajs consumer in the process reads the same records as messages, while a gateway group reads blocks', async () => {
    const topic = uniqueName('raw-beside');
    await produce(topic, (kafka) => send(kafka, topic, plainValues('v', 20).map((value) => ({ value }))));
    const [runs, plain] = await Promise.all([readRuns(topic, 20), readPlain(topic, 20)]);
    expect(runs[0]).toBeInstanceOf(RecordBlock);
    expect(plain.map((m) => m.value!.toString())).toEqual(values(runs));
    expect(plain.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('large fetch responses reach the decoder without being copied into one buffer', async () => {
    const topic = uniqueName('raw-whole');
    const value = 'x'.repeat(1024);
    // 1.5 MiB: two fetches or more at 1 MiB per partition, each more than one 64 KiB socket read,
    // which kafkajs would concatenate (the first response on a connection escapes that by luck).
    await produce(topic, async (kafka) => {
      for (let i = 0; i < 3; i++) await send(kafka, topic, Array.from({ length: 500 }, () => ({ value })));
    });
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const runs = await readRuns(topic, 1500);
      expect(records(runs)).toHaveLength(1500);
      const large = concat.mock.calls.filter(([list]) => list.reduce((sum, b) => sum + b.length, 0) >= 64 * 1024);
      expect(large).toEqual([]);
    } finally {
      concat.mockRestore();
    }
  });
});
