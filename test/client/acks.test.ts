import { beforeAll, describe, expect, it } from 'vitest';
import { type SluiceClient } from '../../src/client/index.ts';
import { uniqueName } from '../support/records.ts';
import { EventLog, gatewayWithClient, keyFor, publishAll, Streams, take, values } from './helpers.ts';

const PARTITIONS = 4;
const NEVER = { records: 1_000_000, ms: 600_000 };

describe('client acks (real gateway, memory stores)', () => {
  const context = gatewayWithClient(PARTITIONS);
  let client: SluiceClient;
  beforeAll(() => ({ client } = context));

  it('acks every N records with the latest processed offset, and the rest on close', async () => {
    const topic = uniqueName('every-n');
    const group = uniqueName('g');
    await publishAll(client, topic, keyFor(0, PARTITIONS), values('r', 25));
    const subscription = client.subscribe({ topic, group, ackEvery: { records: 10, ms: 600_000 } });
    const log = new EventLog(subscription);
    const stream = await new Streams(subscription).for(0);
    const records = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 25; i++) {
      // Pulling record i marks record i-1 processed.
      const { value } = await records.next();
      expect(value!.value.toString()).toBe(`r${i}`);
      if (i === 10) expect(await log.waitFor('acked')).toMatchObject({ partition: 0, offset: 9n, reason: 'records' });
      if (i === 20) expect(await log.waitFor('acked', (e) => e.offset === 19n)).toMatchObject({ reason: 'records' });
      if (i < 10) expect(log.of('acked')).toEqual([]);
    }
    expect(log.of('acked')).toHaveLength(2);
    expect(await client.getOffsets(topic, group)).toEqual(new Map([[0, 19n]]));
    // r24 is held until pulled past or marked done: close acks it once it is done.
    stream.markDone();
    await subscription.close();
    expect(log.of('acked').map((e) => [e.offset, e.reason])).toEqual([
      [9n, 'records'],
      [19n, 'records'],
      [24n, 'close'],
    ]);
    expect(await client.getOffsets(topic, group)).toEqual(new Map([[0, 24n]]));
  });

  it('acks every T ms when fewer than N records were processed, timed from the first unacked one', async () => {
    const topic = uniqueName('every-t');
    const group = uniqueName('g');
    await publishAll(client, topic, keyFor(1, PARTITIONS), values('r', 5));
    const subscription = client.subscribe({ topic, group, ackEvery: { records: 1000, ms: 400 } });
    const log = new EventLog(subscription);
    const records = (await new Streams(subscription).for(1))[Symbol.asyncIterator]();
    await records.next(); // r0
    await records.next(); // r1: r0 processed, the timer starts
    const started = Date.now();
    await records.next(); // r2: r1 processed
    const first = await log.waitFor('acked');
    const waited = Date.now() - started;
    expect(first).toMatchObject({ partition: 1, offset: 1n, reason: 'time' });
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(2_000);
    // The next processed record starts a new period.
    await records.next(); // r3: r2 processed
    const restarted = Date.now();
    expect(await log.waitFor('acked', (e) => e.offset === 2n)).toMatchObject({ reason: 'time' });
    expect(Date.now() - restarted).toBeGreaterThanOrEqual(350);
    await records.return!();
    await subscription.close();
  });

  it('acks the last processed offset of a partition when it is revoked by a rebalance', async () => {
    const topic = uniqueName('revoke');
    const group = uniqueName('g');
    for (let p = 0; p < PARTITIONS; p++) await publishAll(client, topic, keyFor(p, PARTITIONS), values(`p${p}-`, 3));
    const first = client.subscribe({ topic, group, ackEvery: NEVER });
    const log = new EventLog(first);
    let handled = 0;
    let allHandled!: () => void;
    const handledAll = new Promise<void>((resolve) => (allHandled = resolve));
    const running = first.each(() => {
      if (++handled === 3 * PARTITIONS) allHandled();
    });
    await handledAll;
    expect(log.of('acked')).toEqual([]);

    const second = client.subscribe({ topic, group, ackEvery: NEVER });
    const revoked = await log.waitFor('revoked');
    const ack = await log.waitFor('acked', (e) => e.partition === revoked.partition);
    expect(ack).toMatchObject({ offset: 2n, reason: 'revoke' });
    expect((await client.getOffsets(topic, group)).get(revoked.partition)).toBe(2n);

    await Promise.all([first.close(), second.close()]);
    await running;
  });

  it('on close, waits for the record being processed, then acks it and leaves the group', async () => {
    const topic = uniqueName('close');
    const group = uniqueName('g');
    await publishAll(client, topic, keyFor(2, PARTITIONS), values('r', 7));
    const subscription = client.subscribe({ topic, group, ackEvery: NEVER });
    const log = new EventLog(subscription);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const atR3 = new Promise<void>((resolve) => (reached = resolve));
    const seen: string[] = [];
    const running = subscription.each(async (record) => {
      seen.push(record.value.toString());
      if (record.offset === 3n) {
        reached();
        await gate;
      }
    });
    await atR3;
    let closed = false;
    const closing = subscription.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false); // r3 is still being processed
    release();
    await closing;
    await running;
    expect(seen).toEqual(['r0', 'r1', 'r2', 'r3']); // nothing after close
    expect(log.of('acked').map((e) => [e.offset, e.reason])).toEqual([[3n, 'close']]);
    expect(await client.getOffsets(topic, group)).toEqual(new Map([[2, 3n]]));
    // The next member of the group continues after r3.
    const next = client.subscribe({ topic, group });
    const [record] = await take(await new Streams(next).for(2), 1, true);
    expect(record!.value.toString()).toBe('r4');
    await next.close();
  });
});

