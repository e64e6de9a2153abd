import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

/** What the gateway's long-lived shutdown signal holds on to. */
function retained(signal: AbortSignal): { listeners: number; dependants: number } {
  // AbortSignal.any registers each composite here (nodejs/node#55351): the leak itself.
  const dependants = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const set = dependants === undefined ? undefined : (signal as unknown as Record<symbol, Set<unknown> | undefined>)[dependants];
  return { listeners: getEventListeners(signal, 'abort').length, dependants: set?.size ?? 0 };
}

/**
 * Issue 9, defect 5: every Receive tied its signals together with
 * AbortSignal.any, which keeps each composite alive as long as the gateway's
 * shutdown signal lives. Each Receive must leave nothing behind on it.
 */
describe('Receive leaves nothing on the gateway’s long-lived signals', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '1' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('after 200 Receive calls, the shutdown signal holds what it held before', async () => {
    const { client } = gateway;
    const stopping = (gateway.sluice.gateway as unknown as { stopping: AbortController }).stopping.signal;
    const topic = uniqueName('signals');
    await client.publish({ topic, value: Buffer.from('x') });
    const before = retained(stopping);
    const subscription = client.subscribe({ topic, group: uniqueName('g') });
    const [assignment] = await subscription.until((a) => a.length === 1);
    for (let i = 0; i < 200; i++) {
      const receive = client.receive({ assignment });
      await receive.take(1);
      receive.cancel();
      await receive.status;
    }
    subscription.cancel();
    // The gateway closes streams and sessions a moment after the client sees them end.
    const core = gateway.sluice.gateway;
    const deadline = Date.now() + 10_000;
    while (core.stats.streams().length > 0 || core.sessionCount > 0) {
      if (Date.now() > deadline) throw new Error('streams or sessions still open');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(retained(stopping)).toEqual(before);
  });
});
