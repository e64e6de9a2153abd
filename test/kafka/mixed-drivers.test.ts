import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { assignmentWhere, envelope, take, text, uniqueName } from '../support/records.ts';
import { makeStore } from './helpers.ts';

const noPositions = async () => new Map<number, bigint>();
const partitionsOf = (sources: readonly { partition: number }[]) => sources.map((s) => s.partition).sort((a, b) => a - b);

/**
 * Gateways on both drivers in one consumer group (a rolling switch of
 * KAFKA_DRIVER, issue 13): the platformatic driver joins classic groups with
 * the kafkajs driver's protocol name and the standard subscription format, so
 * either driver's leader assigns both drivers' members.
 */
describe('Kafka records store: kafkajs and platformatic members in one group', () => {
  let kafkajsStore: KafkaRecordsStore;
  let platformaticStore: KafkaRecordsStore;
  beforeAll(async () => {
    [kafkajsStore, platformaticStore] = await Promise.all([makeStore({ KAFKA_DRIVER: 'kafkajs' }), makeStore({ KAFKA_DRIVER: 'platformatic' })]);
  });
  afterAll(async () => {
    await Promise.allSettled([kafkajsStore?.close(), platformaticStore?.close()]);
  });

  it('splits the partitions between them, each reads its own, and the one left gets all', async () => {
    const topic = uniqueName('mixed');
    const group = uniqueName('g');
    for (let i = 0; i < 4; i++) await kafkajsStore.publish(envelope(topic, `r${i}`));
    const first = kafkajsStore.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
    const second = platformaticStore.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
    try {
      const [onFirst, onSecond] = await Promise.all([
        assignmentWhere(first.assignments, (s) => s.length === 2),
        assignmentWhere(second.assignments, (s) => s.length === 2),
      ]);
      expect([...partitionsOf(onFirst), ...partitionsOf(onSecond)].sort()).toEqual([0, 1, 2, 3]);
      // Keyless records go round robin: one in each partition, read by its member.
      for (const source of [...onFirst, ...onSecond]) {
        const [record] = await take(source, 1);
        expect(text(record!.value)).toMatch(/^r\d$/);
      }
      await first.close();
      const all = await assignmentWhere(second.assignments, (s) => s.length === 4);
      expect(partitionsOf(all)).toEqual([0, 1, 2, 3]);
    } finally {
      await Promise.allSettled([first.close(), second.close()]);
    }
  });

  it('KAFKA_PRODUCER_DRIVER=platformatic beside KAFKA_DRIVER=kafkajs: the same partitions as an all-kafkajs store, and kafkajs members read what it wrote', async () => {
    const split = await makeStore({ KAFKA_DRIVER: 'kafkajs', KAFKA_PRODUCER_DRIVER: 'platformatic' });
    const topic = uniqueName('split');
    const group = uniqueName('g');
    try {
      expect(split.config.producerDriver).toBe('platformatic');
      const single = await split.publish(envelope(topic, 'one', 'key-a', { h: 'x' }));
      const batch = await split.publishBatch(Array.from({ length: 12 }, (_, i) => envelope(topic, `b${i}`, `key-${'abc'[i % 3]}`)));
      // Partitioning is shared code: the all-kafkajs store puts the same keys in the same partitions.
      const reference = await kafkajsStore.publishBatch(['key-a', 'key-b', 'key-c'].map((k) => envelope(topic, 'ref', k)));
      const partitionOf = new Map(reference.map((r, i) => [`key-${'abc'[i]}`, r.partition]));
      expect(single.partition).toBe(partitionOf.get('key-a'));
      batch.forEach((r, i) => expect(r.partition).toBe(partitionOf.get(`key-${'abc'[i % 3]}`)));
      const subscription = split.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
      try {
        const sources = await assignmentWhere(subscription.assignments, (all) => all.length === 4);
        const source = sources.find((x) => x.partition === single.partition)!;
        const want = 1 + batch.filter((r) => r.partition === single.partition).length + 1;
        const records = await take(source, want);
        expect(text(records[0]!.value)).toBe('one');
        expect(text(records[0]!.headers.get('h') ?? null)).toBe('x');
        expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => single.offset + BigInt(i)));
      } finally {
        await subscription.close();
      }
    } finally {
      await split.close();
    }
  });
});
