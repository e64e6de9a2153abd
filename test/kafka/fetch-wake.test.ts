import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchersWaitingForResume } from '../../plugins/kafka-records/drivers/kafkajs/fetch-wake.ts';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { assignmentWhere, envelope, uniqueName } from '../support/records.ts';
import { kafkaSource, makeStore } from './helpers.ts';

/**
 * kafkajs sleeps its whole fetch max wait when every partition of a member
 * is paused; the gateway pauses a partition whenever its reader's buffer is
 * full. A long max wait makes the difference plain: a resumed partition must
 * be fetched at once, not when kafkajs's sleep ends.
 */
const FETCH_MAX_WAIT_MS = 4_000;

describe('Kafka records store (kafkajs): a resumed partition is fetched at once', () => {
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    store = await makeStore({
      KAFKA_DRIVER: 'kafkajs',
      KAFKA_TOPIC_PARTITIONS: '1',
      KAFKA_PARTITION_BUFFER_RECORDS: '20',
      KAFKA_FETCH_MAX_BYTES_PER_PARTITION: '4096',
      KAFKA_FETCH_MAX_WAIT_MS: String(FETCH_MAX_WAIT_MS),
    });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('does not wait out the fetch max wait after a stalled reader pulls again', async () => {
    const topic = uniqueName('wake');
    const count = 300;
    for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => store.publish(envelope(topic, `${i + j}:${'x'.repeat(100)}`))));

    const subscription = store.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'earliest', startOffsets: async () => new Map() });
    try {
      const [source] = await assignmentWhere(subscription.assignments, (s) => s.length === 1);
      const partition = kafkaSource(source);
      const controller = new AbortController();
      const reader = partition.records(controller.signal)[Symbol.asyncIterator]();
      expect((await reader.next()).value?.offset).toBe(0n);
      // The reader stops: its buffer fills, the partition is paused, and the
      // member's fetcher, with nothing left to fetch, waits.
      await vi.waitFor(() => expect(partition.active).toBe(false), { timeout: 10_000 });
      await vi.waitFor(() => expect(fetchersWaitingForResume()).toBeGreaterThan(0), { timeout: 10_000 });

      // Every later record, each buffer's worth fetched after a resume.
      const started = Date.now();
      const offsets: bigint[] = [];
      for (let r = await reader.next(); !r.done; r = await reader.next()) {
        offsets.push(r.value.offset);
        if (offsets.length === count - 1) break;
      }
      const elapsed = Date.now() - started;
      expect(offsets).toEqual(Array.from({ length: count - 1 }, (_, i) => BigInt(i + 1)));
      // kafkajs's own sleep would hold the first resume alone for most of FETCH_MAX_WAIT_MS.
      expect(elapsed).toBeLessThan(FETCH_MAX_WAIT_MS / 2);
      controller.abort();
      await reader.return?.();
    } finally {
      await subscription.close();
    }
  }, 60_000);
});
