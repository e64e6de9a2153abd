import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { assignmentWhere, uniqueName } from '../support/records.ts';
import { kafkaSource, makeStore, plainKafka } from './helpers.ts';

const RELEASE_MS = 100;

/**
 * Issue 9, defect 4: kafkajs answers OFFSET_OUT_OF_RANGE by moving the
 * partition to its default, which for a LATEST subscription (fromBeginning
 * false) is the log end: a reader stalled below records that retention or
 * DeleteRecords removed then skipped every record still retained. Sluice's
 * rule holds on every path: below the log start → the log start.
 */
describe('Kafka records store: a reader that fell below the log start', () => {
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    store = await makeStore({
      KAFKA_TOPIC_PARTITIONS: '1',
      KAFKA_PARTITION_BUFFER_RECORDS: '5',
      KAFKA_FETCH_MAX_BYTES_PER_PARTITION: '1024',
      KAFKA_PARTITION_BUFFER_RELEASE_MS: String(RELEASE_MS),
    });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('goes on at the log start, for a LATEST group too', async () => {
    const topic = uniqueName('log-start');
    const kafka = plainKafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    const subscription = store.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'latest', startOffsets: async () => new Map([[0, 0n]]) });
    const controller = new AbortController();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch(() => undefined);
      await producer.send({ topic, messages: Array.from({ length: 300 }, (_, i) => ({ partition: 0, value: `v${i}` })) });
      const [assigned] = await assignmentWhere(subscription.assignments, (s) => s.length === 1);
      const source = kafkaSource(assigned);
      const reader = source.records(controller.signal)[Symbol.asyncIterator]();
      for (let i = 0; i < 10; i++) expect((await reader.next()).value.offset).toBe(BigInt(i));

      // The reader stalls: its read-ahead is released after RELEASE_MS.
      const deadline = Date.now() + 20_000;
      while (source.buffered.records > 0 || source.active) {
        if (Date.now() > deadline) throw new Error(`read-ahead not released: ${JSON.stringify(source.buffered)}`);
        await new Promise((resolve) => setTimeout(resolve, RELEASE_MS));
      }
      await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs the topic in the admin's metadata
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '200' }] });

      const next = await Promise.race([
        reader.next(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no record after the log start moved (skipped to the log end?)')), 20_000)),
      ]);
      expect(next.value.offset).toBe(200n);
      for (let i = 201; i < 300; i++) expect((await reader.next()).value.offset).toBe(BigInt(i));
    } finally {
      controller.abort();
      await subscription.close();
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
  });
});
