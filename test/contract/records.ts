import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionSource, RecordsStore, StoredRecord, SubscribeOptions } from '../../src/contracts/index.ts';
import { assignmentWhere, bytes, envelope, take, text, uniqueName } from '../support/records.ts';

const noPositions: SubscribeOptions['startOffsets'] = async () => new Map();

/**
 * The records-store contract: every RecordsStore plugin runs this suite
 * (like Liiklus's TCK). Topics and groups are unique per test so that suites
 * can share one backing service.
 */
export function describeRecordsStore(name: string, makeStore: () => Promise<RecordsStore>): void {
  describe(`records store contract: ${name}`, () => {
    let store: RecordsStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store?.close();
    });

    async function publishMany(topic: string, count: number, key: (i: number) => string | null = () => null) {
      const results = [];
      for (let i = 0; i < count; i++) results.push(await store.publish(envelope(topic, `v${i}`, key(i))));
      return results;
    }

    async function allPartitions(topic: string, group: string, options: Partial<SubscribeOptions> = {}) {
      const subscription = store.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions, ...options });
      const sources = await assignmentWhere(subscription.assignments, (s) => s.length > 0);
      return { subscription, sources };
    }

    it('publishes with increasing offsets per partition and the same partition for the same key', async () => {
      const topic = uniqueName('publish');
      const results = await publishMany(topic, 6, () => 'same-key');
      expect(new Set(results.map((r) => r.partition)).size).toBe(1);
      expect(results.map((r) => r.offset)).toEqual(results.map((_, i) => results[0]!.offset + BigInt(i)));
      expect(results.every((r) => r.topic === topic)).toBe(true);
    });

    it('publishBatch stores as publish does, in order: the same partition per key, offsets in call order, results in order; then delivers them', async () => {
      const topic = uniqueName('publish-batch');
      const single = await store.publish(envelope(topic, 'first', 'k1'));
      const envelopes = Array.from({ length: 30 }, (_, i) => envelope(topic, `b${i}`, `k${i % 3}`));
      const results = await store.publishBatch!(envelopes);
      expect(results.map((r) => r.topic)).toEqual(envelopes.map(() => topic));
      // k1 records land where the single k1 record did, after it (offsets in call order: checked per partition below).
      const k1 = results.filter((_, i) => i % 3 === 1);
      expect(new Set(k1.map((r) => r.partition))).toEqual(new Set([single.partition]));
      expect(k1.every((r) => r.offset > single.offset)).toBe(true);
      const byPartition = new Map<number, bigint[]>();
      for (const r of results) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
      for (const offsets of byPartition.values()) expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
      expect(await store.publishBatch!([])).toEqual([]);
      // Read back: every record of the batch, each at the offset its result gave.
      const { subscription, sources } = await allPartitions(topic, uniqueName('g'));
      try {
        const seen = new Map<string, bigint>();
        for (const source of sources.filter((s) => byPartition.has(s.partition))) {
          const want = byPartition.get(source.partition)!.length + (source.partition === single.partition ? 1 : 0);
          for (const record of await take(source, want)) seen.set(text(record.value) ?? '', record.offset);
        }
        results.forEach((r, i) => expect(seen.get(`b${i}`), `b${i}`).toBe(r.offset));
      } finally {
        await subscription.close();
      }
    });

    it('spreads keyless records over more than one partition', async () => {
      const topic = uniqueName('spread');
      const results = await publishMany(topic, 20);
      expect(new Set(results.map((r) => r.partition)).size).toBeGreaterThan(1);
    });

    it('reports end offsets as the offset of the last record written per partition', async () => {
      const topic = uniqueName('end-offsets');
      expect((await store.getEndOffsets(topic)).size).toBe(0);
      const results = await publishMany(topic, 10, (i) => `k${i % 3}`);
      const expected = new Map<number, bigint>();
      for (const r of results) expected.set(r.partition, r.offset);
      const end = await store.getEndOffsets(topic);
      for (const [partition, offset] of expected) expect(end.get(partition)).toBe(offset);
      for (const [partition] of end) expect(expected.has(partition)).toBe(true);
    });

    it('delivers what was published, with key, value, headers and timestamp, from earliest', async () => {
      const topic = uniqueName('roundtrip');
      const published = await store.publish(envelope(topic, 'hello', 'k1', { trace: 't-1' }));
      const { subscription, sources } = await allPartitions(topic, uniqueName('g'));
      try {
        const source = sources.find((s) => s.partition === published.partition)!;
        expect(source).toBeDefined();
        const [record] = await take(source, 1);
        expect(record!.offset).toBe(published.offset);
        expect(text(record!.key)).toBe('k1');
        expect(text(record!.value)).toBe('hello');
        expect(text(record!.headers.get('trace') ?? null)).toBe('t-1');
        expect(record!.timestamp.getTime()).toBeGreaterThan(Date.now() - 60_000);
        expect(record!.event).toBeNull();
      } finally {
        await subscription.close();
      }
    });

    it('round-trips a CloudEvent', async () => {
      const topic = uniqueName('event');
      const published = await store.publish({
        topic,
        key: bytes('ek'),
        value: null,
        event: {
          id: 'id-1',
          type: 'com.example.created',
          source: '/tests',
          time: '2026-11-23T08:00:00Z',
          dataContentType: 'application/json',
          data: bytes('{"a":1}'),
          extensions: { tenant: 'acme' },
        },
        headers: new Map(),
      });
      const { subscription, sources } = await allPartitions(topic, uniqueName('g'));
      try {
        const [record] = await take(sources.find((s) => s.partition === published.partition)!, 1);
        expect(record!.event).toMatchObject({
          id: 'id-1',
          type: 'com.example.created',
          source: '/tests',
          dataContentType: 'application/json',
          extensions: { tenant: 'acme' },
        });
        expect(new Date(record!.event!.time).toISOString()).toBe('2026-11-23T08:00:00.000Z');
        expect(text(record!.event!.data)).toBe('{"a":1}');
        expect(text(record!.value)).toBe('{"a":1}');
      } finally {
        await subscription.close();
      }
    });

    it('starts at startOffsets when given, else at auto offset reset (earliest / latest)', async () => {
      const topic = uniqueName('start');
      const results = await publishMany(topic, 5, () => 'one-partition');
      const partition = results[0]!.partition;

      const fromPosition = await allPartitions(topic, uniqueName('g'), {
        startOffsets: async (partitions) => new Map(partitions.filter((p) => p === partition).map((p) => [p, results[3]!.offset])),
      });
      const latest = await allPartitions(topic, uniqueName('g'), { autoOffsetReset: 'latest' });
      try {
        const resumed = await take(fromPosition.sources.find((s) => s.partition === partition)!, 2);
        expect(resumed.map((r) => r.offset)).toEqual([results[3]!.offset, results[4]!.offset]);

        const latestSource = latest.sources.find((s) => s.partition === partition)!;
        const reading = take(latestSource, 1);
        // A latest reader only sees what is written after it is positioned;
        // publish until it sees one, proving it skipped the five earlier ones.
        const fresh = await publishUntil(reading, () => store.publish(envelope(topic, 'fresh', 'one-partition')));
        expect(fresh[0]!.offset).toBeGreaterThan(results[4]!.offset);
        expect(text(fresh[0]!.value)).toBe('fresh');
      } finally {
        await Promise.all([fromPosition.subscription.close(), latest.subscription.close()]);
      }
    });

    it('splits partitions between members of one group and gives all to the last one left', async () => {
      const topic = uniqueName('split');
      await publishMany(topic, 40);
      const group = uniqueName('g');
      const first = await allPartitions(topic, group);
      const total = first.sources.length;
      expect(total).toBeGreaterThan(1);

      const second = store.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
      const secondSources = await assignmentWhere(second.assignments, (s) => s.length > 0);
      const firstSources = await assignmentWhere(first.subscription.assignments, (s) => s.length > 0 && s.length < total);
      const a = firstSources.map((s) => s.partition);
      const b = secondSources.map((s) => s.partition);
      expect(a.filter((p) => b.includes(p))).toEqual([]);
      expect([...a, ...b].sort((x, y) => x - y)).toEqual(first.sources.map((s) => s.partition).sort((x, y) => x - y));

      await second.close();
      const after = await assignmentWhere(first.subscription.assignments, (s) => s.length === total);
      expect(after.map((s) => s.partition).sort((x, y) => x - y)).toEqual(first.sources.map((s) => s.partition).sort((x, y) => x - y));
      await first.subscription.close();
    });

    it('ends a partition iteration when the partition is revoked', async () => {
      const topic = uniqueName('revoke');
      await publishMany(topic, 10);
      const group = uniqueName('g');
      const first = await allPartitions(topic, group);
      const total = first.sources.length;
      const iterations = first.sources.map((source) => drain(source));
      const second = store.subscribe({ topic, group, autoOffsetReset: 'earliest', startOffsets: noPositions });
      const secondSources = await assignmentWhere(second.assignments, (s) => s.length > 0);
      const moved = new Set(secondSources.map((s) => s.partition));
      // Every iteration over a partition that moved must end by itself.
      await Promise.all(first.sources.filter((s) => moved.has(s.partition)).map((s) => iterations[first.sources.indexOf(s)]));
      expect(moved.size).toBeGreaterThan(0);
      expect(moved.size).toBeLessThan(total);
      await Promise.all([first.subscription.close(), second.close()]);
      await Promise.all(iterations);
    });

    it('keeps other partitions flowing while one reader stops pulling', async () => {
      const topic = uniqueName('backpressure');
      const { subscription, sources } = await allPartitions(topic, uniqueName('g'), { autoOffsetReset: 'earliest' });
      // Find two keys that land in different partitions.
      const a = await store.publish(envelope(topic, 'first', 'key-a'));
      let b = a;
      for (let i = 0; b.partition === a.partition; i++) b = await store.publish(envelope(topic, 'first', `key-b${i}`));
      const stalledSource = sources.find((s) => s.partition === a.partition)!;
      const flowingSource = sources.find((s) => s.partition === b.partition)!;
      try {
        const controller = new AbortController();
        const stalled = stalledSource.records(controller.signal)[Symbol.asyncIterator]();
        expect((await stalled.next()).value?.offset).toBe(a.offset); // then never pulled again
        for (let i = 0; i < 2000; i++) await store.publish(envelope(topic, `s${i}`, 'key-a'));
        const flowingKey = text((await take(flowingSource, 1))[0]!.key);
        for (let i = 0; i < 200; i++) await store.publish(envelope(topic, `f${i}`, flowingKey));
        // The flowing partition delivers all of its records while the other waits.
        const seen = await take(flowingSource, 201);
        expect(seen.at(-1)!.value && text(seen.at(-1)!.value)).toBe('f199');
        // The stalled one resumes exactly where it stopped.
        const next = await stalled.next();
        expect(next.value?.offset).toBe(a.offset + 1n);
        controller.abort();
        await stalled.return?.();
      } finally {
        await subscription.close();
      }
    });

    it('batches: the same records in offset order, what is already there in few arrays, a lone record at once', async () => {
      const topic = uniqueName('batches');
      const written = await Promise.all(Array.from({ length: 50 }, (_, i) => store.publish(envelope(topic, `v${i}`, 'one-key'))));
      const partition = written[0]!.partition;
      const { subscription, sources } = await allPartitions(topic, uniqueName('g'));
      try {
        const source = sources.find((s) => s.partition === partition)!;
        const controller = new AbortController();
        const batches = source.batches(controller.signal)[Symbol.asyncIterator]();
        const seen: StoredRecord[] = [];
        let pulls = 0;
        while (seen.length < 50) {
          const next = await batches.next();
          expect(next.done).toBe(false);
          expect(next.value!.length).toBeGreaterThan(0);
          seen.push(...next.value!);
          pulls++;
        }
        expect(seen.map((r) => r.offset)).toEqual(written.map((w) => w.offset).sort((a: bigint, b: bigint) => (a < b ? -1 : 1)));
        // 50 records written before the read started are not handed out one by one.
        expect(pulls).toBeLessThan(10);
        // Nothing more is there: the next pull waits, and one record then comes alone, without waiting for more.
        const pending = batches.next();
        const lone = await store.publish(envelope(topic, 'lone', 'one-key'));
        const next = await pending;
        expect(next.value!.map((r: StoredRecord) => r.offset)).toEqual([lone.offset]);
        controller.abort();
        await batches.return?.();
      } finally {
        await subscription.close();
      }
    });

    it('ends open iterations when the subscription closes', async () => {
      const topic = uniqueName('close');
      await publishMany(topic, 3);
      const { subscription, sources } = await allPartitions(topic, uniqueName('g'));
      const iterations = sources.map((s) => drain(s));
      await subscription.close();
      const counts = await Promise.all(iterations);
      expect(counts.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(3);
    });
  });
}

/** Reads a partition until its iteration ends by itself; resolves with the count read. */
async function drain(source: PartitionSource): Promise<number> {
  let count = 0;
  for await (const _record of source.records(new AbortController().signal)) count++;
  return count;
}

/** Calls `publish` until `reading` resolves; a latest reader needs a record written after it is positioned. */
async function publishUntil(reading: Promise<StoredRecord[]>, publish: () => Promise<unknown>): Promise<StoredRecord[]> {
  let done = false;
  const result = reading.finally(() => (done = true));
  while (!done) {
    await publish();
    await Promise.race([result, new Promise((r) => setTimeout(r, 200))]);
  }
  return result;
}
