import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { NotFoundError } from '../../src/contracts/index.ts';
import { assignmentWhere, bytes, envelope, take, text, uniqueName } from '../support/records.ts';
import { JAVA_MURMUR2 } from '../fixtures/murmur2-vectors.ts';
import { makeStore, plainKafka, readPlain } from './helpers.ts';

const { Partitioners } = kafkajs;

const javaPartition = (hash: number, partitions: number) => (hash & 0x7fffffff) % partitions;

describe('Kafka records store: publishing', () => {
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    store = await makeStore({ KAFKA_TOPIC_PARTITIONS: '7' });
  });
  afterAll(async () => {
    await store?.close();
  });

  it("puts a keyed record in the partition Java's default partitioner chooses, as the broker confirms", async () => {
    const topic = uniqueName('murmur');
    const kafkajsPartitioner = Partitioners.DefaultPartitioner();
    for (const [key, hash] of JAVA_MURMUR2) {
      const expected = javaPartition(hash, 7);
      const result = await store.publish(envelope(topic, `v-${key}`, key));
      expect(result.partition, key).toBe(expected);
      const partitionMetadata = Array.from({ length: 7 }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
      expect(kafkajsPartitioner({ topic, partitionMetadata, message: { key: Buffer.from(key), value: null } }), key).toBe(expected);
    }
    // Read back by a plain consumer: each record sits in that partition.
    const records = await readPlain(topic, JAVA_MURMUR2.length);
    for (const [key, hash] of JAVA_MURMUR2) {
      expect(records.find((r) => r.key?.toString() === key)?.partition, key).toBe(javaPartition(hash, 7));
    }
  });

  it('creates a missing topic with KAFKA_TOPIC_PARTITIONS partitions on first publish', async () => {
    const topic = uniqueName('created');
    await store.publish(envelope(topic, 'x'));
    const admin = plainKafka().admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]!.partitions).toHaveLength(7);
    } finally {
      await admin.disconnect();
    }
  });

  it('stores an event as a CloudEvents binary-mode record that a plain Kafka consumer reads', async () => {
    const topic = uniqueName('ce-out');
    const published = await store.publish({
      topic,
      key: bytes('order-1'),
      value: null,
      event: {
        id: 'e-1',
        type: 'com.example.order.created',
        source: '/orders',
        time: '2026-11-23T08:00:00Z',
        dataContentType: 'application/json',
        data: bytes('{"total":42}'),
        extensions: { tenant: 'acme', traceparent: '00-abc-01' },
      },
      headers: new Map([['x-client', bytes('c-7')]]),
    });
    const [record] = await readPlain(topic, 1);
    expect(record!.partition).toBe(published.partition);
    expect(record!.offset).toBe(published.offset.toString());
    expect(record!.key?.toString()).toBe('order-1');
    expect(record!.value?.toString()).toBe('{"total":42}');
    const headers = Object.fromEntries(Object.entries(record!.headers ?? {}).map(([k, v]) => [k, String(v)]));
    expect(headers).toEqual({
      ce_specversion: '1.0',
      ce_id: 'e-1',
      ce_type: 'com.example.order.created',
      ce_source: '/orders',
      ce_time: '2026-11-23T08:00:00Z',
      'content-type': 'application/json',
      ce_tenant: 'acme',
      ce_traceparent: '00-abc-01',
      'x-client': 'c-7',
    });
  });

  it('reads a binary-mode CloudEvent written by another producer as an event; a raw record keeps its headers', async () => {
    const topic = uniqueName('ce-in');
    await store.publish(envelope(topic, 'first', 'k')); // creates the topic
    const producer = plainKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: [
          {
            key: 'k',
            value: 'payload',
            headers: { ce_specversion: '1.0', ce_id: 'x-9', ce_type: 't', ce_source: 's', ce_dataschema: 'urn:s', 'content-type': 'text/plain', other: 'o' },
          },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const subscription = store.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'earliest', startOffsets: async () => new Map() });
    try {
      const sources = await assignmentWhere(subscription.assignments, (s) => s.length > 0);
      const partition = (await store.publish(envelope(topic, 'probe', 'k'))).partition;
      const [raw, event] = await take(sources.find((s) => s.partition === partition)!, 2);
      expect(raw!.event).toBeNull();
      expect(text(raw!.value)).toBe('first');
      expect(event!.event).toEqual({
        id: 'x-9',
        type: 't',
        source: 's',
        time: '',
        dataContentType: 'text/plain',
        data: expect.any(Uint8Array),
        extensions: { dataschema: 'urn:s' },
      });
      expect(text(event!.event!.data)).toBe('payload');
      expect(text(event!.value)).toBe('payload');
      expect([...event!.headers.keys()]).toEqual(['other']);
    } finally {
      await subscription.close();
    }
  });

  it('gives concurrent publishes distinct consecutive offsets per partition, in call order', async () => {
    const topic = uniqueName('concurrent');
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => store.publish(envelope(topic, `v${i}`, `k${i % 5}`))));
    const byPartition = new Map<number, bigint[]>();
    for (const r of results) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
    for (const offsets of byPartition.values()) {
      expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + BigInt(i)));
    }
    // What the broker holds matches what each call was told.
    const records = await readPlain(topic, 300);
    const told = new Map(results.map((r, i) => [`${r.partition}/${r.offset}`, `v${i}`]));
    for (const r of records) expect(r.value?.toString()).toBe(told.get(`${r.partition}/${r.offset}`));
  });

  it('a batch larger than one produce request, beside concurrent publishes: results in order, its offsets consecutive per partition, as the broker holds them', async () => {
    const topic = uniqueName('split');
    await store.publish(envelope(topic, 'warm-up'));
    // 2,500 records: three produce requests (at most 1,000 records each), the last shared with the calls after it.
    const big = Array.from({ length: 2_500 }, (_, i) => envelope(topic, `big${i}`, `k${i % 5}`));
    const small = Array.from({ length: 700 }, (_, i) => envelope(topic, `small${i}`, `k${i % 3}`));
    const [bigResults, singles, smallResults] = await Promise.all([
      store.publishBatch!(big),
      Promise.all(Array.from({ length: 50 }, (_, i) => store.publish(envelope(topic, `single${i}`, `k${i % 7}`)))),
      store.publishBatch!(small),
    ]);
    expect(bigResults).toHaveLength(2_500);
    expect(smallResults).toHaveLength(700);
    const byPartition = new Map<number, bigint[]>();
    for (const r of bigResults) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
    for (const offsets of byPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + BigInt(i)));
    const told = new Map<string, string>();
    bigResults.forEach((r, i) => told.set(`${r.partition}/${r.offset}`, `big${i}`));
    singles.forEach((r, i) => told.set(`${r.partition}/${r.offset}`, `single${i}`));
    smallResults.forEach((r, i) => told.set(`${r.partition}/${r.offset}`, `small${i}`));
    expect(told.size).toBe(3_250);
    const records = await readPlain(topic, 3_251);
    for (const r of records) if (r.value?.toString() !== 'warm-up') expect(r.value?.toString()).toBe(told.get(`${r.partition}/${r.offset}`));
  });

  it('reports no end offsets for an unknown topic, at once', async () => {
    const began = Date.now();
    expect((await store.getEndOffsets(uniqueName('never'))).size).toBe(0);
    expect(Date.now() - began).toBeLessThan(2_000);
  });

  describe('with KAFKA_AUTO_CREATE_TOPICS=false', () => {
    let strict: KafkaRecordsStore;
    beforeAll(async () => {
      strict = await makeStore({ KAFKA_AUTO_CREATE_TOPICS: 'false' });
    });
    afterAll(async () => {
      await strict?.close();
    });

    it('refuses to publish to or subscribe to a missing topic with NotFoundError, and serves existing ones', async () => {
      const missing = uniqueName('missing');
      await expect(strict.publish(envelope(missing, 'x'))).rejects.toBeInstanceOf(NotFoundError);
      const subscription = strict.subscribe({ topic: missing, group: uniqueName('g'), autoOffsetReset: 'earliest', startOffsets: async () => new Map() });
      await expect(new Promise((resolve, reject) => subscription.assignments.subscribe({ error: reject, complete: () => resolve('completed') }))).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await subscription.close();

      const existing = uniqueName('existing');
      await store.publish(envelope(existing, 'made by the other store'));
      await expect(strict.publish(envelope(existing, 'y'))).resolves.toMatchObject({ topic: existing });
    });
  });
});
