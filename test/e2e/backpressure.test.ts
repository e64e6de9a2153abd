import type { ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/contracts/index.ts';
import type { ReceiveReplyMessage } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

const RECORDS = 100_000;
const VALUE = Buffer.alloc(100, 'x');
/**
 * What a stalled stream may hold: the writes grpc-js has not sent (at most
 * 64 KiB of messages, about 470 of these records: src/grpc/handlers/receive.ts),
 * one HTTP/2 stream window (64 KiB, about 540 on the wire), the client's own
 * 16-message read buffer and the batch in hand, with room to spare. The
 * measured figure is printed.
 */
const BOUND = 1_500;

/** Resolves once `read()` has returned the same value for `quietChecks` checks in a row. */
async function settled(read: () => number, quietChecks = 10, intervalMs = 50): Promise<number> {
  let last = -1;
  let quiet = 0;
  while (quiet < quietChecks) {
    const now = read();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return last;
}

describe('backpressure (memory stores, real gRPC)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '4' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('a client that reads nothing holds only a bounded buffer while other partitions keep flowing', async () => {
    const { client, sluice } = gateway;
    const topic = uniqueName('bp');
    const stalledKey = Buffer.from('stalled');
    const first = await sluice.gateway.publish({ topic, key: stalledKey, value: VALUE, event: null, headers: new Map() });
    for (let i = 1; i < RECORDS; i++) await sluice.gateway.publish({ topic, key: stalledKey, value: VALUE, event: null, headers: new Map() });

    const subscription = client.subscribe({ topic, group: uniqueName('g') });
    const assignments = await subscription.until((a) => a.length === 4);
    const stalledAssignment = assignments.find((a) => a.partition === first.partition)!;
    const other = assignments.find((a) => a.partition !== first.partition)!;

    // The client takes one record and then stops reading, as a stuck consumer
    // would. (A grpc-js client that never starts reading is a different case:
    // grpc-js then buffers everything on the client side, see README.)
    const stalled = (client.raw.Receive as unknown as (r: object) => ClientReadableStream<ReceiveReplyMessage>).call(client.raw, {
      assignment: stalledAssignment,
    });
    stalled.on('error', () => undefined); // the CANCELLED at the end
    const firstRead = new Promise<ReceiveReplyMessage>((resolve) =>
      stalled.once('data', (reply: ReceiveReplyMessage) => {
        stalled.pause();
        resolve(reply);
      }),
    );
    expect((await firstRead).record!.offset).toBe('0');
    const stalledCounter = () => sluice.gateway.stats.streams().find((s) => s.partition === first.partition)?.pulled ?? 0;
    const held = await settled(stalledCounter);
    console.info(`stalled Receive: ${held} of ${RECORDS} records (${VALUE.length}-byte values) pulled from the store and not read`);
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(BOUND);
    // The core sees it as blocked on its client (dashboard "backpressure", sluice_receive_streams_blocked).
    const streamOf = (partition: number) => sluice.gateway.stats.streams().find((s) => s.partition === partition)!;
    sluice.gateway.stats.sample();
    sluice.gateway.stats.sample();
    expect(streamOf(first.partition).blockedSince).toBeDefined();

    // Meanwhile another partition of the same subscription streams freely.
    const otherKey = await keyFor(other.partition);
    for (let i = 0; i < 2_000; i++) await client.publish({ topic, key: otherKey, value: VALUE });
    const flowing = client.receive({ assignment: other });
    const replies = await flowing.take(2_000);
    expect(replies.at(-1)!.record!.offset).toBe('1999');
    expect(stalledCounter()).toBe(held);
    sluice.gateway.stats.sample();
    expect(streamOf(other.partition).blockedSince).toBeUndefined();
    expect(streamOf(first.partition).blockedSince).toBeDefined();

    // When the stalled client reads again, it gets everything, in order.
    expect(await outOfOrderUntil(stalled, 1n, RECORDS, (reply: ReceiveReplyMessage) => [reply])).toBe(0);
    stalled.cancel();
    subscription.cancel();

  }, 120_000);

  it('a ReceiveBatch client that stops reading holds a bounded part of the backlog in the gateway, then resumes in order', async () => {
    const { client, sluice } = gateway;
    const topic = uniqueName('bp-batch');
    const stalledKey = Buffer.from('stalled');
    const kilobyte = Buffer.alloc(1024, 'k');
    const count = 30_000;
    const first = await sluice.gateway.publish({ topic, key: stalledKey, value: kilobyte, event: null, headers: new Map() });
    for (let i = 1; i < count; i++) await sluice.gateway.publish({ topic, key: stalledKey, value: kilobyte, event: null, headers: new Map() });

    const subscription = client.subscribe({ topic, group: uniqueName('g') });
    const assignments = await subscription.until((a) => a.length === 4);
    const assignment = assignments.find((a) => a.partition === first.partition)!;
    const stalled = (client.raw.ReceiveBatch as unknown as (r: object) => ClientReadableStream<{ replies: ReceiveReplyMessage[] }>).call(client.raw, {
      request: { assignment },
    });
    stalled.on('error', () => undefined); // the CANCELLED at the end
    const firstRead = new Promise<{ replies: ReceiveReplyMessage[] }>((resolve) =>
      stalled.once('data', (batch: { replies: ReceiveReplyMessage[] }) => {
        stalled.pause();
        resolve(batch);
      }),
    );
    const firstBatch = await firstRead;
    const pulled = () => sluice.gateway.stats.streams().find((s) => s.partition === first.partition)?.pulled ?? 0;
    const held = (await settled(pulled)) - firstBatch.replies.length;
    console.info(`stalled ReceiveBatch: ${held} of ${count} records of 1 KiB pulled from the store and not read`);
    // grpc-js's 16-message write queue of at most max_bytes (1 MiB, about 1,000 of these records) each,
    // one core batch (256 records from the memory store), the HTTP/2 window and grpc-js's read buffer
    // on the client: well short of the 30,000 waiting.
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(20_000);

    const from = BigInt(firstBatch.replies.at(-1)!.record!.offset) + 1n;
    expect(await outOfOrderUntil(stalled, from, count, (batch: { replies: ReceiveReplyMessage[] }) => batch.replies)).toBe(0);
    stalled.cancel();
    subscription.cancel();
  }, 120_000);
});

async function keyFor(partition: number): Promise<Buffer> {
  for (let i = 0; ; i++) {
    const key = Buffer.from(`other-${i}`);
    if (partitionForKey(key, 4) === partition) return key;
  }
}

/** Resumes a paused stream and reads it up to offset `end` − 1; resolves with how many replies came out of order. */
function outOfOrderUntil<M>(stream: ClientReadableStream<M>, from: bigint, end: number, replies: (message: M) => ReceiveReplyMessage[]): Promise<number> {
  let next = from;
  let outOfOrder = 0;
  return new Promise((resolve) => {
    stream.on('data', (message: M) => {
      for (const reply of replies(message)) {
        if (BigInt(reply.record!.offset) !== next) outOfOrder++;
        next = BigInt(reply.record!.offset) + 1n;
      }
      if (next === BigInt(end)) resolve(outOfOrder);
    });
    stream.resume();
  });
}
