import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, SluiceClientError, type ConsumedRecord, type SluiceClient, type Subscription, type SubscriptionEvent } from '../../src/client/index.ts';
import { partitionForKey } from '../../src/contracts/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

const PARTITIONS = 2;

/** A key the gateway's partitioner puts in `partition`. */
function keyIn(partition: number, prefix: string): string {
  for (let i = 0; ; i++) if (partitionForKey(Buffer.from(`${prefix}-${i}`), PARTITIONS) === partition) return `${prefix}-${i}`;
}

/** Resolves with the first event matching `predicate`. */
function nextEvent<T extends SubscriptionEvent>(subscription: Subscription, predicate: (e: SubscriptionEvent) => e is T, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching subscription event within ${timeoutMs} ms`)), timeoutMs);
    const sub = subscription.events$.subscribe((event) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      sub.unsubscribe();
      resolve(event);
    });
  });
}

/** Every record of `topic` up to its end offsets now, read without moving any group (ack 'none'). */
async function readAll(client: SluiceClient, topic: string): Promise<ConsumedRecord[]> {
  const ends = await client.getEndOffsets(topic);
  const remaining = new Map(ends);
  const out: ConsumedRecord[] = [];
  if (remaining.size === 0) return out;
  const subscription = client.subscribe({ topic, group: uniqueName('reader'), ack: 'none' });
  await subscription.each((record) => {
    out.push(record);
    if (record.offset >= (remaining.get(record.partition) ?? -1n)) remaining.delete(record.partition);
    if (remaining.size === 0) void subscription.close();
  });
  return out;
}

const header = (record: ConsumedRecord, name: string) => record.headers[name]?.toString();

/**
 * Retry and dead-letter (issue 12, docs/retry.md) over real gRPC with the TS
 * client: Nack, the retry topic held until due, the dead-letter topic.
 */
export function describeRetry(label: string, env: () => Record<string, string>): void {
  describe(`retry and dead-letter: ${label}`, () => {
    let gateway: TestGateway;
    let client: SluiceClient;
    beforeAll(async () => {
      gateway = await startTestGateway({
        MEMORY_PARTITIONS: String(PARTITIONS),
        KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
        RETRY_BACKOFF_INITIAL_MS: '200',
        RETRY_BACKOFF_MAX_MS: '2000',
        ...env(),
      });
      client = connect(gateway.address);
    });
    afterAll(async () => {
      await client?.close();
      await gateway?.stop();
    });

    it('a handler that fails twice then succeeds sees attempts 1, 2, 3 with the original coordinates', async () => {
      const topic = uniqueName('retry');
      const group = uniqueName('g');
      const published = await client.publish(topic, 'flaky', { key: 'k', headers: { trace: 't-1' } });
      const seen: Array<{ attempt: number; origin: unknown; value: string; trace: string | undefined; at: number }> = [];
      const subscription = client.subscribe({ topic, group, retry: { maxAttempts: 5 }, ackEvery: { records: 1, ms: 20 } });
      const done = new Promise<void>((resolve) => {
        void subscription.each((record) => {
          seen.push({ attempt: record.attempt!, origin: record.origin, value: record.value.toString(), trace: header(record, 'trace'), at: Date.now() });
          if (record.attempt! < 3) throw new Error(`flaky failure ${record.attempt}`);
          resolve();
        });
      });
      await done;
      await subscription.close();
      expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
      const origin = { topic, partition: published.partition, offset: published.offset };
      expect(seen.map((s) => s.origin)).toEqual([origin, origin, origin]);
      expect(seen.every((s) => s.value === 'flaky' && s.trace === 't-1')).toBe(true);
      // The gateway's backoff: 200 ms before attempt 2, 400 ms before attempt 3 (never earlier).
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(150);
      expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(350);
      const counts = gateway.sluice.gateway.retries.counts;
      expect(counts.retried).toBeGreaterThanOrEqual(2);
      expect(counts.held).toBeGreaterThanOrEqual(1);
      expect(counts.released).toBeGreaterThanOrEqual(1);
    });

    it('a record that always fails ends in the dead-letter topic after the maximum, with its reason; the records after it do not wait', async () => {
      const topic = uniqueName('poison');
      const group = uniqueName('g');
      const key = keyIn(0, 'p');
      const poison = await client.publish(topic, 'poison', { key });
      for (let i = 0; i < 5; i++) await client.publish(topic, `ok-${i}`, { key });
      const order: string[] = [];
      // 1.5 s before attempt 2: the records after the poison one are done long before.
      const subscription = client.subscribe({ topic, group, retry: { maxAttempts: 3, backoff: { initialMs: 1500, factor: 1 } }, ackEvery: { records: 1, ms: 20 } });
      const deadLettered = nextEvent(subscription, (e): e is Extract<SubscriptionEvent, { type: 'nacked' }> => e.type === 'nacked' && e.result.deadLettered);
      const consuming = subscription.each((record) => {
        const value = record.value.toString();
        order.push(`${value}#${record.attempt}`);
        if (value === 'poison') throw new Error('cannot parse "poison"');
      });
      const { result, reason } = await deadLettered;
      expect(reason).toBe('cannot parse "poison"');
      expect(result).toMatchObject({ topic: `${topic}.${group}.dlq`, attempt: 3, deadLettered: true, retryAt: null });
      expect(order.slice(0, 6)).toEqual(['poison#1', 'ok-0#1', 'ok-1#1', 'ok-2#1', 'ok-3#1', 'ok-4#1']);
      expect(order.slice(6)).toEqual(['poison#2', 'poison#3']);

      // The group moves past everything: the topic is acked to its end.
      await expect.poll(async () => (await client.getOffsets(topic, group)).get(0), { timeout: 20_000 }).toBe(poison.offset + 5n);
      await subscription.close();
      await consuming;

      const [dead] = await readAll(client, `${topic}.${group}.dlq`);
      expect(dead!.value.toString()).toBe('poison');
      expect(dead!.key.toString()).toBe(key);
      expect(header(dead!, 'sluice-reason')).toBe('cannot parse "poison"');
      expect(header(dead!, 'sluice-attempt')).toBe('3');
      expect(header(dead!, 'sluice-origin-topic')).toBe(topic);
      expect(header(dead!, 'sluice-origin-partition')).toBe(String(poison.partition));
      expect(header(dead!, 'sluice-origin-offset')).toBe(String(poison.offset));
      expect(header(dead!, 'sluice-group')).toBe(group);
      expect(header(dead!, 'sluice-retry-at')).toBeUndefined();
    });

    it('a record with malformed sluice-* headers (not a retry copy) is retried as attempt 1 of its own coordinates', async () => {
      const topic = uniqueName('forged');
      const group = uniqueName('g');
      const published = await client.publish(topic, 'odd', { headers: { 'sluice-origin-topic': 'elsewhere', 'sluice-attempt': 'many' } });
      const seen: Array<[number | undefined, unknown]> = [];
      const subscription = client.subscribe({ topic, group, retry: { backoff: { initialMs: 50 } } });
      await subscription.each((record) => {
        seen.push([record.attempt, record.origin]);
        if (seen.length === 1) throw new Error('once');
        void subscription.close();
      });
      expect(seen).toEqual([
        [1, { topic, partition: published.partition, offset: published.offset }],
        [2, { topic, partition: published.partition, offset: published.offset }],
      ]);
    });

    it('a retry record is held until due, and a cancelled Receive of a held partition ends at once', async () => {
      const topic = uniqueName('hold');
      const group = uniqueName('g');
      const published = await client.publish(topic, 'later', { key: 'k' });
      const record = { topic, partition: published.partition, offset: published.offset, key: Buffer.from('k'), value: Buffer.from('later'), headers: {}, timestamp: null, replay: false, event: null };
      const handedBack = await client.nack(record, { group, reason: 'not yet', delayMs: 1500 });
      expect(handedBack).toMatchObject({ topic: `${topic}.${group}.retry`, attempt: 2, deadLettered: false });
      const due = handedBack.retryAt!.getTime();
      expect(due).toBeGreaterThan(Date.now() + 1000);

      // A reader that gives up before the record is due leaves nothing held behind it.
      const early = client.subscribe({ topic: handedBack.topic, group, ack: 'none' });
      const streams = early[Symbol.asyncIterator]();
      const first = (await streams.next()).value!;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(first.buffered).toBe(0);
      const closing = Date.now();
      await early.close();
      // The hold is a timer that the cancelled Receive clears, not a wait for the due time.
      expect(Date.now() - closing).toBeLessThan(due - Date.now());
      await expect.poll(() => gateway.sluice.gateway.stats.streams().filter((s) => s.topic === handedBack.topic).length).toBe(0);

      const retried = client.subscribe({ topic: handedBack.topic, group, ack: 'none' });
      let deliveredAt = 0;
      await retried.each((r) => {
        deliveredAt = Date.now();
        expect(r.value.toString()).toBe('later');
        void retried.close();
      });
      expect(deliveredAt).toBeGreaterThanOrEqual(due);
    });

    it('a Receive holding a record ends as soon as its partition is revoked, not when the record is due', async () => {
      const topic = uniqueName('revoke');
      const group = uniqueName('g');
      const retryTopic = `${topic}.${group}.retry`;
      for (const partition of [0, 1]) {
        const key = keyIn(partition, 'r');
        const published = await client.publish(topic, 'later', { key });
        const record = { topic, partition: published.partition, offset: published.offset, key: Buffer.from(key), value: Buffer.from('later'), headers: {}, timestamp: null, replay: false, event: null };
        await client.nack(record, { group, reason: 'not yet', delayMs: 60_000 });
      }
      const streamsOf = (sessionIds: Set<string>) => gateway.sluice.gateway.stats.streams().filter((s) => s.topic === retryTopic && sessionIds.has(s.sessionId)).length;
      const first = client.subscribe({ topic: retryTopic, group, ack: 'none' });
      const firstSessions = new Set<string>();
      first.events$.subscribe((e) => e.type === 'assigned' && firstSessions.add(e.sessionId));
      const firstStreams = first[Symbol.asyncIterator]();
      await firstStreams.next();
      await expect.poll(() => streamsOf(firstSessions), { timeout: 20_000 }).toBe(PARTITIONS);
      // A second member: the group splits, the first member loses one of its (holding) partitions at once.
      const second = client.subscribe({ topic: retryTopic, group, ack: 'none' });
      const secondStreams = second[Symbol.asyncIterator]();
      await secondStreams.next();
      await expect.poll(() => streamsOf(firstSessions), { timeout: 20_000 }).toBe(1);
      await Promise.all([first.close(), second.close()]);
    });

    it('Nack refuses bad input with INVALID_ARGUMENT naming the field', async () => {
      const topic = uniqueName('bad');
      const record = { topic, partition: 0, offset: 0n, key: Buffer.alloc(0), value: Buffer.from('v'), headers: {}, timestamp: null, replay: false, event: null };
      const refusal = async (promise: Promise<unknown>) => {
        const err = await promise.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(SluiceClientError);
        expect((err as SluiceClientError).code).toBe(status.INVALID_ARGUMENT);
        return (err as SluiceClientError).details;
      };
      expect(await refusal(client.nack({ ...record, topic: '' }, { group: 'g', reason: 'r' }))).toMatch(/^topic: must not be empty/);
      expect(await refusal(client.nack({ ...record, topic: 'a b' }, { group: 'g', reason: 'r' }))).toMatch(/^topic: /);
      expect(await refusal(client.nack(record, { group: '', reason: 'r' }))).toMatch(/^group: must not be empty/);
      expect(await refusal(client.nack(record, { group: 'g', reason: '' }))).toMatch(/^reason: must not be empty/);
      expect(await refusal(client.nack(record, { group: 'g', reason: 'x'.repeat(1001) }))).toMatch(/^reason: must be at most 1000/);
      expect(await refusal(client.nack(record, { group: 'g', reason: 'r', delayMs: 8 * 24 * 3600 * 1000 }))).toMatch(/^delay_ms: /);
      expect(await refusal(client.nack(record, { group: 'g', reason: 'r', maxAttempts: 101 }))).toMatch(/^max_attempts: /);
      // The group goes into the retry topic's name: one Kafka would refuse is refused here.
      expect(await refusal(client.nack(record, { group: 'billing team', reason: 'r' }))).toMatch(/^group: "bad-.*\.billing team\.retry"/);
      const forged = { ...record, headers: { 'sluice-origin-topic': Buffer.from(topic), 'sluice-origin-partition': Buffer.from('0'), 'sluice-origin-offset': Buffer.from('0'), 'sluice-attempt': Buffer.from('two') } };
      expect(await refusal(client.nack(forged, { group: 'g', reason: 'r' }))).toMatch(/^headers\["sluice-attempt"\]: "two" is not/);
      expect(await refusal(client.nack({ ...record, event: { id: '', type: 't', source: 's', time: '', dataContentType: '', data: Buffer.alloc(0), extensions: {} } }, { group: 'g', reason: 'r' }))).toMatch(
        /^liiklus_event\.id: /,
      );
      // Nothing was written by any of them.
      expect(await client.getEndOffsets(`${topic}.g.retry`).catch(() => new Map())).toEqual(new Map());
    });
  });
}
