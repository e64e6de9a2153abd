import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/contracts/index.ts';
import { ACCESS } from '../../src/grpc/access.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, holdUntilDue, isRetryTopic, readRetryHeaders, topicName } from '../../src/retry/index.ts';
import { loadConfig } from '../../src/config.ts';

const record = (offset: number, retryAt?: number): StoredRecord => ({
  topic: 't.g.retry',
  partition: 0,
  offset: BigInt(offset),
  timestamp: new Date(0),
  key: null,
  value: null,
  event: null,
  headers: new Map(retryAt === undefined ? [] : [['sluice-retry-at', new TextEncoder().encode(new Date(retryAt).toISOString())]]),
});

async function* batchesOf(...batches: StoredRecord[][]): AsyncGenerator<readonly StoredRecord[]> {
  for (const batch of batches) yield batch;
}

describe('retry policy', () => {
  it('names topics from the templates and recognizes a retry topic by its group', () => {
    expect(topicName(DEFAULT_RETRY_POLICY.retryTopic, 'orders', 'billing')).toBe('orders.billing.retry');
    expect(topicName(DEFAULT_RETRY_POLICY.deadLetterTopic, 'orders', 'billing')).toBe('orders.billing.dlq');
    expect(isRetryTopic(DEFAULT_RETRY_POLICY.retryTopic, 'orders.billing.retry', 'billing')).toBe(true);
    expect(isRetryTopic(DEFAULT_RETRY_POLICY.retryTopic, 'orders.billing.retry', 'shipping')).toBe(false);
    expect(isRetryTopic(DEFAULT_RETRY_POLICY.retryTopic, 'orders', 'billing')).toBe(false);
    // Dots in a group are literal, not "any character".
    expect(isRetryTopic('{topic}.{group}.retry', 'orders.aXb.retry', 'a.b')).toBe(false);
    expect(isRetryTopic('retry-{group}-{topic}', 'retry-billing-orders', 'billing')).toBe(true);
  });

  it('backs off exponentially up to the maximum', () => {
    const backoff = { initialMs: 1000, maxMs: 5000, factor: 2 };
    expect([1, 2, 3, 4, 10].map((attempt) => backoffDelay(backoff, attempt))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(backoffDelay({ initialMs: 300, maxMs: 300, factor: 1 }, 7)).toBe(300);
  });

  it('reads the sluice-* headers, and names a malformed one', () => {
    const headers = (entries: Record<string, string>) => (name: string) => (entries[name] === undefined ? undefined : new TextEncoder().encode(entries[name]));
    expect(readRetryHeaders(headers({}))).toBeUndefined();
    const origin = { 'sluice-origin-topic': 'orders', 'sluice-origin-partition': '3', 'sluice-origin-offset': '42', 'sluice-attempt': '2' };
    expect(readRetryHeaders(headers({ ...origin, 'sluice-retry-at': '2026-01-01T00:00:00.000Z', 'sluice-reason': 'x' }))).toEqual({
      origin: { topic: 'orders', partition: 3, offset: 42n },
      attempt: 2,
      group: undefined,
      reason: 'x',
      retryAt: Date.parse('2026-01-01T00:00:00.000Z'),
    });
    expect(() => readRetryHeaders(headers({ ...origin, 'sluice-attempt': '0' }))).toThrow(/sluice-attempt/);
    expect(() => readRetryHeaders(headers({ ...origin, 'sluice-origin-offset': '-1' }))).toThrow(/sluice-origin-offset/);
    expect(() => readRetryHeaders(headers({ ...origin, 'sluice-retry-at': 'soon' }))).toThrow(/sluice-retry-at/);
  });

  it('Nack needs ack on (topic, group)', () => {
    expect(ACCESS.Nack!({ topic: 't', group: 'g-v2', groupVersion: 0 })).toEqual({
      checks: [{ action: 'ack', topic: { field: 'topic', name: 't' }, group: { field: 'group', name: 'g' } }],
    });
  });

  it('config: RETRY_* defaults, and a bad value names its key', () => {
    const { gateway } = loadConfig({});
    expect([gateway.RETRY_TOPIC, gateway.DEAD_LETTER_TOPIC, gateway.RETRY_MAX_ATTEMPTS, gateway.RETRY_BACKOFF_INITIAL_MS]).toEqual([
      '{topic}.{group}.retry',
      '{topic}.{group}.dlq',
      5,
      1000,
    ]);
    expect(() => loadConfig({ RETRY_TOPIC: 'retries' })).toThrow(/^RETRY_TOPIC: must contain \{topic\} and \{group\}/);
    expect(() => loadConfig({ RETRY_TOPIC: '{topic}/{group}' })).toThrow(/^RETRY_TOPIC: /);
    expect(() => loadConfig({ DEAD_LETTER_TOPIC: '{topic}.{group}.retry' })).toThrow(/^DEAD_LETTER_TOPIC: must differ/);
    expect(() => loadConfig({ RETRY_BACKOFF_INITIAL_MS: '5000', RETRY_BACKOFF_MAX_MS: '1000' })).toThrow(/^RETRY_BACKOFF_MAX_MS: /);
  });
});

describe('holdUntilDue', () => {
  it('passes due records through in one batch, holds the head until due, then releases it in order', async () => {
    const counts = { held: 0, released: 0 };
    const t0 = Date.now();
    // Record 2 is due in 60 ms and record 3 (due earlier) waits behind it: offsets stay in order.
    const input = batchesOf([record(0), record(1, t0 - 100), record(2, t0 + 60), record(3, t0 + 30)], [record(4)]);
    const out: Array<{ offsets: bigint[]; at: number }> = [];
    for await (const batch of holdUntilDue(input, new AbortController().signal, counts)) out.push({ offsets: batch.map((r) => r.offset), at: Date.now() });
    expect(out.map((b) => b.offsets)).toEqual([[0n, 1n], [2n, 3n], [4n]]);
    expect(out[0]!.at - t0).toBeLessThan(50);
    expect(out[1]!.at).toBeGreaterThanOrEqual(t0 + 60);
    expect(counts).toEqual({ held: 1, released: 1 });
  });

  it('ends at once when the signal aborts while holding', async () => {
    const controller = new AbortController();
    const counts = { held: 0, released: 0 };
    const generator = holdUntilDue(batchesOf([record(0, Date.now() + 60_000)]), controller.signal, counts);
    const next = generator.next();
    setTimeout(() => controller.abort(), 10);
    const started = Date.now();
    expect(await next).toEqual({ value: undefined, done: true });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(counts).toEqual({ held: 1, released: 0 });
  });
});
