import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { UnavailableError } from '../../src/contracts/index.ts';
import { assignmentWhere, envelope, uniqueName } from '../support/records.ts';
import { makeStore, plainKafka } from './helpers.ts';

/**
 * Issue 9: with no watermarks for a partition (its topic deleted meanwhile),
 * a reader started at the fallback {low: 0, high: 0}: offset 0, a replay or a
 * skip. It must fail with UNAVAILABLE (the client receives again).
 */
describe('Kafka records store: a reader whose partition offsets are unknown', () => {
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    store = await makeStore({ KAFKA_TOPIC_PARTITIONS: '1', KAFKA_AUTO_CREATE_TOPICS: 'false' });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('fails with UnavailableError, not from offset 0', async () => {
    const topic = uniqueName('gone');
    const admin = plainKafka().admin();
    await admin.connect();
    const controller = new AbortController();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await store.publish(envelope(topic, 'x'));
      const subscription = store.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'earliest', startOffsets: async () => new Map() });
      const [source] = await assignmentWhere(subscription.assignments, (s) => s.length === 1);
      subscription.assignments.subscribe({ error: () => undefined });
      await admin.deleteTopics({ topics: [topic] });
      store.topics.forget(topic);
      const reading = (async () => {
        for await (const record of source!.records(controller.signal)) return record;
        return 'ended';
      })();
      const outcome = await Promise.race([
        reading.then((r) => r, (err: unknown) => err),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 15_000)),
      ]);
      expect(outcome).toBeInstanceOf(UnavailableError);
      // The reader refused to start (before the fix it started at 0 and only the consumer's later crash ended it).
      expect((outcome as Error).message).toMatch(/offsets of partition 0/);
      await subscription.close();
    } finally {
      controller.abort();
      await admin.disconnect();
    }
  });
});
