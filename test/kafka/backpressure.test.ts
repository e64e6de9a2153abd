import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KafkaRecordsStore } from '../../plugins/kafka-records/index.ts';
import type { PartitionSource, StoredRecord, Subscription } from '../../src/contracts/index.ts';
import { assignmentWhere, envelope, take, text, uniqueName } from '../support/records.ts';
import { kafkaSource, makeStore, partitionForKey, plainKafka } from './helpers.ts';

const noPositions = async () => new Map<number, bigint>();
const BUFFER_RECORDS = 50;
const FETCH_BYTES = 16_384;
const RELEASE_MS = 3_000;
const SESSION_TIMEOUT_MS = 6_000; // the broker's minimum (group.min.session.timeout.ms)

/** A key per partition of a `partitions`-partition topic. */
function keysByPartition(partitions: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.filter(Boolean).length < partitions; i++) {
    const key = `key-${i}`;
    keys[partitionForKey(new TextEncoder().encode(key), partitions)] ??= key;
  }
  return keys;
}

/**
 * A KIP-848 group (KAFKA_GROUP_PROTOCOL=consumer) is invisible to the classic
 * DescribeGroups API (kafkajs's admin): there, a member that lost its place
 * would be fenced and rejoin, which the assignment count below shows.
 */
const CLASSIC_GROUP = process.env.KAFKA_GROUP_PROTOCOL !== 'consumer' || process.env.KAFKA_DRIVER !== 'platformatic';

async function groupMembers(admin: Admin, group: string): Promise<{ state: string; members: string[] }> {
  const { groups } = await admin.describeGroups([group]);
  return { state: groups[0]!.state, members: groups[0]!.members.map((m) => m.memberId).sort() };
}

describe('Kafka records store: backpressure', () => {
  let store: KafkaRecordsStore;
  let admin: Admin;
  beforeAll(async () => {
    store = await makeStore({
      KAFKA_TOPIC_PARTITIONS: '2',
      KAFKA_PARTITION_BUFFER_RECORDS: String(BUFFER_RECORDS),
      KAFKA_FETCH_MAX_BYTES_PER_PARTITION: String(FETCH_BYTES),
      KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      KAFKA_PARTITION_BUFFER_RELEASE_MS: String(RELEASE_MS),
    });
    admin = plainKafka().admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await store?.close();
  });

  it('pauses a partition whose reader stops pulling, keeps the member in its group, and keeps the other partition flowing', async () => {
    const topic = uniqueName('stall');
    const group = uniqueName('g');
    const [stalledKey, flowingKey] = keysByPartition(2) as [string, string];
    const value = 'x'.repeat(200);
    for (let i = 0; i < 2_000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => store.publish(envelope(topic, `${i + j}:${value}`, stalledKey))));
    }

    const subscription = store.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
    let emissions = 0;
    subscription.assignments.subscribe(() => emissions++);
    try {
      const sources = await assignmentWhere(subscription.assignments, (s) => s.length === 2);
      const emissionsBefore = emissions;
      const stalled = kafkaSource(sources.find((s) => s.partition === partitionForKey(new TextEncoder().encode(stalledKey), 2)));
      const flowing = sources.find((s) => s !== stalled)!;

      const controller = new AbortController();
      const reader = stalled.records(controller.signal)[Symbol.asyncIterator]();
      const first = await reader.next();
      expect(first.value?.offset).toBe(0n);
      // The reader stops pulling: the store fills its small buffer, then pauses the partition.
      await vi.waitFor(() => expect(stalled.active).toBe(false), { timeout: 10_000 });
      const { members: membersBefore } = CLASSIC_GROUP ? await groupMembers(admin, group) : { members: [] };
      if (CLASSIC_GROUP) expect(membersBefore).toHaveLength(1);

      // For longer than two session timeouts, the other partition is written and read.
      const flowingReader = flowing.records(new AbortController().signal)[Symbol.asyncIterator]();
      let flowed = 0;
      let maxBuffered = { records: 0, bytes: 0 };
      const until = Date.now() + 2 * SESSION_TIMEOUT_MS + 1_000;
      while (Date.now() < until) {
        const published = await store.publish(envelope(topic, `f${flowed}`, flowingKey));
        const next = await flowingReader.next();
        expect(next.value?.offset).toBe(published.offset);
        flowed++;
        const buffered = stalled.buffered;
        maxBuffered = { records: Math.max(maxBuffered.records, buffered.records), bytes: Math.max(maxBuffered.bytes, buffered.bytes) };
        expect(stalled.active).toBe(false);
      }
      await flowingReader.return?.();

      // No rebalance happened: same member, no new assignment; the stalled
      // partition held no more than its read-ahead, and nothing once it had
      // not been pulled for RELEASE_MS.
      if (CLASSIC_GROUP) expect(await groupMembers(admin, group)).toEqual({ state: 'Stable', members: membersBefore });
      expect(emissions).toBe(emissionsBefore);
      // High-water mark plus at most one fetch (records are over 200 bytes each).
      expect(maxBuffered.records).toBeGreaterThanOrEqual(BUFFER_RECORDS);
      expect(maxBuffered.records).toBeLessThanOrEqual(BUFFER_RECORDS + FETCH_BYTES / 200);
      expect(stalled.buffered).toEqual({ records: 0, bytes: 0 });
      console.info(
        `stalled partition: at most ${maxBuffered.records} records / ~${maxBuffered.bytes} bytes buffered (of 1999 waiting), ` +
          `${stalled.buffered.records} after ${RELEASE_MS} ms without a pull; ` +
          `${flowed} records flowed on the other partition meanwhile`,
      );

      // The stalled reader resumes exactly where it stopped and gets every record once
      // (its dropped read-ahead is fetched again).
      const rest: StoredRecord[] = [];
      for (let r = await reader.next(); !r.done; r = await reader.next()) {
        rest.push(r.value);
        if (rest.length === 1_999) break;
      }
      expect(rest.map((r) => r.offset)).toEqual(Array.from({ length: 1_999 }, (_, i) => BigInt(i + 1)));
      expect(text(rest.at(-1)!.value)).toBe(`1999:${value}`);
      controller.abort();
      await reader.return?.();
    } finally {
      await subscription.close();
    }
  }, 90_000);

  it('keeps a kept partition reading across a rebalance, and a partition that comes back after moving away is readable (pause state reset)', async () => {
    const topic = uniqueName('rebalance');
    const group = uniqueName('g');
    const keys = keysByPartition(2);
    for (let i = 0; i < 400; i++) await store.publish(envelope(topic, `v${i}`, keys[i % 2]!));

    const first = store.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
    let second: Subscription | undefined;
    try {
      const both = await assignmentWhere(first.assignments, (s) => s.length === 2);
      // Stall both partitions after one record each: both get paused.
      const readers = new Map<PartitionSource, AsyncIterator<StoredRecord>>();
      for (const source of both) {
        const reader = source.records(new AbortController().signal)[Symbol.asyncIterator]();
        expect((await reader.next()).value?.offset).toBe(0n);
        readers.set(source, reader);
      }
      await vi.waitFor(() => expect(both.map((s) => kafkaSource(s).active)).toEqual([false, false]), { timeout: 10_000 });

      // A second member joins: one partition moves to it, the other stays.
      second = store.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
      const theirs = await assignmentWhere(second.assignments, (s) => s.length === 1);
      const mine = await assignmentWhere(first.assignments, (s) => s.length === 1);
      const kept = mine[0]!;
      const moved = both.find((s) => s !== kept)!;
      expect(both).toContain(kept); // same object: not interrupted
      expect(theirs[0]!.partition).toBe(moved.partition);
      // The moved partition's reader ended; the other member reads it from the start.
      expect((await readers.get(moved)!.next()).done).toBe(true);
      expect((await take(theirs[0]!, 200)).map((r) => r.offset)).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i)));
      // The kept partition's reader goes on where it stopped, across the rebalance.
      const keptReader = readers.get(kept)!;
      const continued: bigint[] = [];
      for (let i = 0; i < 199; i++) continued.push((await keptReader.next()).value!.offset);
      expect(continued).toEqual(Array.from({ length: 199 }, (_, i) => BigInt(i + 1)));
      await keptReader.return?.();

      // The second member leaves: the partition comes back as a new source, and reads.
      await second.close();
      second = undefined;
      const back = await assignmentWhere(first.assignments, (s) => s.length === 2);
      const returned = back.find((s) => s.partition === moved.partition)!;
      expect(returned).not.toBe(moved);
      expect((await take(returned, 200)).map((r) => r.offset)).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i)));
    } finally {
      await second?.close();
      await first.close();
    }
  });
});
