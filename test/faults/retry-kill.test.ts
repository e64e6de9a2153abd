import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect, type ConsumedRecord, type SluiceClient, type SubscriptionEvent } from '../../src/client/index.ts';
import { uniqueName } from '../support/records.ts';
import { gatewayEnv, GatewayPool } from './support/cluster.ts';

/**
 * Issue 12: a gateway SIGKILLed after it stored a record's retry copy and
 * before the record was acked loses nothing. The record is delivered again
 * from its topic (never acked) and handed back a second time, so it may be
 * retried twice; it is never dropped. Kafka + Redis (the shared ones), the
 * gateway as its own process.
 */
describe('fault: gateway SIGKILL between the retry copy and the ack (Kafka + Redis)', () => {
  const pool = new GatewayPool(() => gatewayEnv(inject('kafkaBootstrap'), inject('redisUrl'), { KAFKA_TOPIC_PARTITIONS: '2' }));
  let client: SluiceClient | undefined;
  afterAll(async () => {
    await client?.close();
    await pool.stopAll();
  });

  it('the record is retried (perhaps twice), never dropped; every other record is processed', async () => {
    const node = await pool.start();
    client = connect(node.address);
    const topic = uniqueName('f-retry');
    const group = uniqueName('g');
    const values = Array.from({ length: 20 }, (_, i) => `r-${i}`);
    const published = new Map<string, { partition: number; offset: bigint }>();
    for (const value of values) published.set(value, await client.publish(topic, value, { key: value }));
    const failing = 'r-7';
    const origin = published.get(failing)!;

    const succeeded = new Map<string, ConsumedRecord[]>();
    // Acks only every minute: nothing is acked between the Nack and the kill.
    const subscription = client.subscribe({
      topic,
      group,
      retry: { maxAttempts: 5, backoff: { initialMs: 2_000, factor: 1 } },
      ackEvery: { records: 1_000_000, ms: 60_000 },
      reconnect: { initialDelayMs: 200, maxDelayMs: 1_000 },
    });
    const nacks: Extract<SubscriptionEvent, { type: 'nacked' }>[] = [];
    let firstNack!: () => void;
    const handedBack = new Promise<void>((resolve) => (firstNack = resolve));
    subscription.events$.subscribe((event) => {
      if (event.type !== 'nacked') return;
      nacks.push(event);
      firstNack();
    });
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const consuming = subscription.each((record) => {
      const value = record.value.toString();
      if (value === failing && record.attempt === 1) throw new Error('first attempt fails');
      succeeded.set(value, [...(succeeded.get(value) ?? []), record]);
      if (values.every((v) => succeeded.has(v))) allDone();
    });

    // The copy is stored (Nack answered); the record is not acked yet: kill now.
    await handedBack;
    await node.kill();
    expect(nacks).toHaveLength(1);
    await node.start();

    await done;
    const retried = succeeded.get(failing)!;
    expect(retried.every((r) => r.attempt === 2 && r.topic === `${topic}.${group}.retry`)).toBe(true);
    expect(retried[0]!.origin).toEqual({ topic, partition: origin.partition, offset: origin.offset });
    // Handed back once before the kill, and again after it when the unacked record came back: at most twice.
    await expect.poll(() => nacks.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    expect(nacks.length).toBeLessThanOrEqual(2);
    expect(nacks.every((n) => n.topic === topic && n.offset === origin.offset && !n.result.deadLettered)).toBe(true);
    const copies = [...(await client.getEndOffsets(`${topic}.${group}.retry`)).values()].reduce((sum, end) => sum + end + 1n, 0n);
    expect(copies).toBe(BigInt(nacks.length));
    await subscription.close();
    await consuming;
    await client.close();
  }, 120_000);

  it('a consumer that dies with the gateway: the unacked record comes back and is retried twice, both copies delivered', async () => {
    const node = await pool.start();
    const topic = uniqueName('f-retry2');
    const group = uniqueName('g');
    const first = connect(node.address);
    const origin = await first.publish(topic, 'fails-once', { key: 'k' });
    await first.publish(topic, 'after', { key: 'k' });
    const options = {
      topic,
      group,
      retry: { maxAttempts: 5, backoff: { initialMs: 1_000, factor: 1 } },
      ackEvery: { records: 1_000_000, ms: 60_000 },
      reconnect: false as const,
    };
    const handler = (seen: ConsumedRecord[]) => (record: ConsumedRecord) => {
      if (record.attempt === 1 && record.value.toString() === 'fails-once') throw new Error('first attempt fails');
      seen.push(record);
    };
    const before = first.subscribe(options);
    const nacked = new Promise<void>((resolve) => before.events$.subscribe((e) => e.type === 'nacked' && resolve()));
    const consumingBefore = before.each(handler([])).catch(() => undefined);
    await nacked;
    // The copy is stored; the gateway dies before any ack, and so does the consumer (its acks find nobody).
    await node.kill();
    await first.close();
    await consumingBefore;

    await node.start();
    client = connect(node.address);
    const seen: ConsumedRecord[] = [];
    const after = client.subscribe({ ...options, reconnect: {} });
    const nacks: SubscriptionEvent[] = [];
    after.events$.subscribe((e) => e.type === 'nacked' && nacks.push(e));
    const consuming = after.each(handler(seen));
    const retriedCopies = () => seen.filter((r) => r.value.toString() === 'fails-once');
    await expect.poll(() => retriedCopies().length, { timeout: 60_000 }).toBe(2);
    expect(nacks).toHaveLength(1);
    expect(retriedCopies().map((r) => [r.attempt, r.origin])).toEqual([
      [2, { topic, partition: origin.partition, offset: origin.offset }],
      [2, { topic, partition: origin.partition, offset: origin.offset }],
    ]);
    expect(seen.some((r) => r.value.toString() === 'after')).toBe(true);
    await after.close();
    await consuming;
  }, 120_000);
});
