import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import { UnavailableError, type StoredRecord } from '../../src/contracts/index.ts';
import { freePort, startKafkaBroker, type KafkaBrokerHandle } from '../../scripts/kafka-broker.mjs';
import { assignmentWhere, envelope, take, text, uniqueName } from '../support/records.ts';
import { makeStore } from './helpers.ts';

const noPositions = async () => new Map<number, bigint>();
const FAST_FAILURE = { KAFKA_CONNECTION_TIMEOUT_MS: '1000', KAFKA_REQUEST_TIMEOUT_MS: '3000', KAFKA_TOPIC_PARTITIONS: '2' };

describe('Kafka records store: broker outage (own broker)', () => {
  let broker: KafkaBrokerHandle;
  let store: KafkaRecordsStore;
  beforeAll(async () => {
    broker = await startKafkaBroker();
    store = await makeStore(FAST_FAILURE, broker.bootstrap);
  });
  afterAll(async () => {
    await store?.close();
    await broker?.destroy();
  });

  it('fails the start with UNAVAILABLE when no broker answers', async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    await expect(makeStore(FAST_FAILURE, nobody)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('fails publishes, subscriptions and readers with UnavailableError while the broker is down, and serves again once it is back', async () => {
    const topic = uniqueName('outage');
    const before = await store.publish(envelope(topic, 'before', 'k'));
    const subscription = store.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'earliest', startOffsets: noPositions });
    const sources = await assignmentWhere(subscription.assignments, (s) => s.length === 2);
    const source = sources.find((s) => s.partition === before.partition)!;
    const assignmentsError = new Promise<unknown>((resolve) => subscription.assignments.subscribe({ error: resolve, complete: () => resolve('completed') }));
    const seen: StoredRecord[] = [];
    let firstSeen!: () => void;
    const first = new Promise<void>((resolve) => (firstSeen = resolve));
    const reading = (async () => {
      for await (const record of source.records(new AbortController().signal)) {
        seen.push(record);
        firstSeen();
      }
    })();
    const readerFailure = reading.then(
      () => 'ended',
      (err: unknown) => err,
    );

    await first;
    await broker.stop();
    await expect(store.publish(envelope(topic, 'during', 'k'))).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.getEndOffsets(topic)).rejects.toBeInstanceOf(UnavailableError);
    expect(await assignmentsError).toBeInstanceOf(UnavailableError);
    expect(await readerFailure).toBeInstanceOf(UnavailableError);
    expect(seen.map((r) => text(r.value))).toEqual(['before']);
    await subscription.close();

    // Back: the same store publishes and subscribes again, without a restart.
    await broker.start();
    const after = await store.publish(envelope(topic, 'after', 'k'));
    expect(after.partition).toBe(before.partition);
    expect(after.offset).toBe(before.offset + 1n);
    expect((await store.getEndOffsets(topic)).get(before.partition)).toBe(after.offset);
    const again = store.subscribe({ topic, group: uniqueName('g'), autoOffsetReset: 'earliest', startOffsets: noPositions });
    try {
      const resumed = await assignmentWhere(again.assignments, (s) => s.length === 2);
      const records = await take(resumed.find((s) => s.partition === before.partition)!, 2);
      expect(records.map((r) => text(r.value))).toEqual(['before', 'after']);
    } finally {
      await again.close();
    }
  }, 90_000);
});
