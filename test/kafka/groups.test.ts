import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { assignmentWhere, envelope, take, text, uniqueName } from '../support/records.ts';
import { makeStore } from './helpers.ts';

const noPositions = async () => new Map<number, bigint>();
const partitionsOf = (sources: readonly { partition: number }[]) => sources.map((s) => s.partition).sort((a, b) => a - b);

describe('Kafka records store: one group name on several topics', () => {
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    store = await makeStore({ KAFKA_TOPIC_PARTITIONS: '3' });
  });
  afterAll(async () => {
    await store?.close();
  });

  it("gives each subscription its own topic's partitions, and splits a topic only among its own members", async () => {
    const group = uniqueName('shared');
    const [a, b] = [uniqueName('topic-a'), uniqueName('topic-b')];
    // Keyless: round robin puts one in each partition.
    for (const topic of [a, b]) for (let i = 0; i < 3; i++) await store.publish(envelope(topic, `${topic}:${i}`));

    const onA = store.subscribe({ topic: a, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
    const onB = store.subscribe({ topic: b, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
    let secondOnA: ReturnType<KafkaRecordsStore['subscribe']> | undefined;
    try {
      // kafkajs's own round robin would hand one topic's partitions to both
      // members (and the other topic to nobody).
      const sourcesA = await assignmentWhere(onA.assignments, (s) => s.length === 3);
      const sourcesB = await assignmentWhere(onB.assignments, (s) => s.length === 3);
      expect(partitionsOf(sourcesA)).toEqual([0, 1, 2]);
      expect(partitionsOf(sourcesB)).toEqual([0, 1, 2]);
      for (const [topic, sources] of [[a, sourcesA], [b, sourcesB]] as const) {
        const values = (await Promise.all(sources.map((s) => take(s, 1)))).flat().map((r) => text(r.value));
        expect(values.every((v) => v!.startsWith(`${topic}:`))).toBe(true);
      }

      // A second member on topic A: A's partitions are split, B keeps all of its own.
      secondOnA = store.subscribe({ topic: a, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
      const second = await assignmentWhere(secondOnA.assignments, (s) => s.length > 0);
      const first = await assignmentWhere(onA.assignments, (s) => s.length > 0 && s.length < 3);
      expect([...partitionsOf(first), ...partitionsOf(second)].sort()).toEqual([0, 1, 2]);
      expect(partitionsOf(await assignmentWhere(onB.assignments, (s) => s.length > 0))).toEqual([0, 1, 2]);
    } finally {
      await Promise.all([onA.close(), onB.close(), secondOnA?.close()]);
    }
  });
});
