import { beforeAll, describe, expect, it } from 'vitest';
import { type SluiceClient } from '../../src/client/index.ts';
import type { TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';
import { gatewayWithClient, keyFor, Streams } from './helpers.ts';

const PARTITIONS = 4;
const BUFFER = 16;
const VALUE = Buffer.alloc(100, 'x');

describe('client backpressure (real gateway, memory stores)', () => {
  // grpc-js's own 64 KiB HTTP/2 window instead of the client's 4 MiB: the
  // slow partition's 5,000 records (650 KB) would all fit in the larger one,
  // and the gateway's stop for that partition is what is checked here.
  const context = gatewayWithClient(PARTITIONS, { channelOptions: { 'grpc-node.flow_control_window': 65_535 } });
  let gateway: TestGateway;
  let client: SluiceClient;
  beforeAll(() => ({ gateway, client } = context));

  it('a slow partition does not hold up another; the client holds at most bufferSize records for it', async () => {
    const { gateway: core } = gateway.sluice;
    const topic = uniqueName('bp');
    const publish = (key: string, count: number) =>
      (async () => {
        for (let i = 0; i < count; i++) await core.publish({ topic, key: Buffer.from(key), value: VALUE, event: null, headers: new Map() });
      })();
    const slowKey = keyFor(0, PARTITIONS);
    const fastKey = keyFor(1, PARTITIONS);
    await publish(slowKey, 5_000);
    await publish(fastKey, 2_000);

    const subscription = client.subscribe({ topic, group: uniqueName('g'), bufferSize: BUFFER });
    const streams = new Streams(subscription);
    const slow = await streams.for(0);
    const fast = await streams.for(1);
    const slowRecords = slow[Symbol.asyncIterator]();
    const first = await slowRecords.next(); // ...and then the slow handler takes its time
    expect(first.value!.offset).toBe(0n);

    const fastRecords = fast[Symbol.asyncIterator]();
    const pull = async (count: number) => {
      let last;
      for (let i = 0; i < count; i++) last = (await fastRecords.next()).value;
      return last!;
    };
    expect((await pull(2_000)).offset).toBe(1_999n);
    const pulledBySlow = () => core.stats.streams().find((s) => s.partition === 0 && s.sessionId === slow.sessionId)?.pulled ?? -1;
    const heldAfterFirstBatch = pulledBySlow();

    // More traffic on the fast partition moves nothing on the slow one.
    await publish(fastKey, 500);
    expect((await pull(500)).offset).toBe(2_499n);
    expect(pulledBySlow()).toBe(heldAfterFirstBatch);
    expect(slow.buffered).toBeLessThanOrEqual(BUFFER);
    expect(slow.stats.maxBuffered).toBeLessThanOrEqual(BUFFER);
    console.info(
      `slow partition: client buffer ${slow.buffered} (max ${slow.stats.maxBuffered}, bound ${BUFFER}); ` +
        `gateway pulled ${heldAfterFirstBatch} of 5000 records (rest of the gap: grpc-js read buffer and the HTTP/2 window)`,
    );
    expect(heldAfterFirstBatch).toBeLessThan(1_000);

    // The slow handler catches up and gets everything, in order, still within the bound.
    let expected = 1n;
    for (;;) {
      const next = await slowRecords.next();
      expect(next.value!.offset).toBe(expected++);
      if (expected === 5_000n) break;
    }
    expect(slow.stats.maxBuffered).toBeLessThanOrEqual(BUFFER);
    slow.markDone();
    fast.markDone();
    await subscription.close();
  }, 120_000);

  it('the local buffer is bounded in bytes too: large records pause the wire before bufferSize records wait', async () => {
    const { gateway: core } = gateway.sluice;
    const topic = uniqueName('bp-bytes');
    const kilobyte = Buffer.alloc(1024, 'k');
    const key = keyFor(2, PARTITIONS);
    for (let i = 0; i < 2_000; i++) await core.publish({ topic, key: Buffer.from(key), value: kilobyte, event: null, headers: new Map() });
    const bufferBytes = 64 * 1024;
    const subscription = client.subscribe({ topic, group: uniqueName('g'), bufferBytes });
    const stream = await new Streams(subscription).for(2);
    const records = stream[Symbol.asyncIterator]();
    expect((await records.next()).value!.offset).toBe(0n);
    let expected = 1n;
    for (;;) {
      const next = await records.next();
      expect(next.value!.offset).toBe(expected++);
      if (expected === 2_000n) break;
    }
    // 64 KiB of 1 KiB values: at most 64 records waited locally at any time, far below the default bufferSize of 1,024.
    expect(stream.stats.maxBuffered).toBeGreaterThan(16);
    expect(stream.stats.maxBuffered).toBeLessThanOrEqual(bufferBytes / kilobyte.length);
    stream.markDone();
    await subscription.close();
  }, 60_000);
});
