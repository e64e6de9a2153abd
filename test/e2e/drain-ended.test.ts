import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

const RECORDS = 400;

/**
 * Issue 9: a Receive whose client stopped reading waits for 'drain'; when a
 * newer Receive of the partition replaced it, or its session closed, it kept
 * waiting (its loop and the core's stream stayed open until the client went).
 */
describe("a Receive waiting for 'drain'", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '1' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  /** Resolves once `count` streams are open and none of them pulls more (the stalled one waits for 'drain'). */
  async function settled(count: number): Promise<void> {
    const core = gateway.sluice.gateway;
    const deadline = Date.now() + 20_000;
    let last = '';
    for (;;) {
      const now = JSON.stringify(core.stats.streams().map((s) => s.pulled));
      if (core.stats.streams().length === count && now === last) return;
      if (Date.now() > deadline) throw new Error(`streams: ${now}`);
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function stalledReceive() {
    const { client } = gateway;
    const topic = uniqueName('drain');
    const value = Buffer.alloc(4096, 'x');
    for (let i = 0; i < RECORDS; i += 50) await Promise.all(Array.from({ length: 50 }, () => client.publish({ topic, value })));
    const subscription = client.subscribe({ topic, group: uniqueName('g') });
    const [assignment] = await subscription.until((a) => a.length === 1);
    const stalled = client.receive({ assignment });
    await stalled.take(1);
    stalled.call.pause(); // reading started, then stopped: HTTP/2 flow control holds the gateway back
    await settled(1);
    expect(gateway.sluice.gateway.stats.streams()[0]!.pulled).toBeLessThan(RECORDS);
    return { subscription, assignment, stalled };
  }

  it('ends when a newer Receive of the partition replaces it', async () => {
    const { subscription, assignment, stalled } = await stalledReceive();
    const newer = gateway.client.receive({ assignment });
    await newer.take(1);
    await settled(1); // only the newer one is left
    newer.cancel();
    stalled.cancel();
    subscription.cancel();
  });

  it('ends when its session closes', async () => {
    const { subscription, stalled } = await stalledReceive();
    subscription.cancel();
    await settled(0);
    stalled.cancel();
  });
});
