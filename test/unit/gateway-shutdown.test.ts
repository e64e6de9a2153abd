import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { GroupId, PositionsStore } from '../../src/contracts/index.ts';
import { Gateway } from '../../src/gateway/index.ts';
import { MemoryRecordsStore } from '../../plugins/memory-records/index.ts';
import { plugin as memoryPositions } from '../../plugins/memory-positions/index.ts';

/** Wraps a real store so that updates wait until the test releases them. */
function gated(store: PositionsStore) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const wrapped: PositionsStore = {
    ...store,
    fetch: (t, g) => store.fetch(t, g),
    fetchAllVersions: (t, n) => store.fetchAllVersions(t, n),
    findAll: () => store.findAll(),
    update: async (t: string, g: GroupId, p: number, o: bigint) => {
      await gate;
      await store.update(t, g, p, o);
    },
    close: () => store.close(),
  };
  return { wrapped, release };
}

describe('gateway shutdown', () => {
  it('waits for pending acks before closing the stores, and refuses new work meanwhile', async () => {
    const logger = pino({ level: 'silent' });
    const positions = await memoryPositions.create({ config: {}, logger });
    const { wrapped, release } = gated(positions);
    let positionsClosed = false;
    let storedWhenClosed: bigint | undefined;
    const original = wrapped.close;
    wrapped.close = async () => {
      positionsClosed = true;
      storedWhenClosed = (await positions.fetch('t', { name: 'g', version: 0 })).get(0);
      await original();
    };
    const gateway = new Gateway(new MemoryRecordsStore(2), wrapped, logger);

    const ack = gateway.ack({ kind: 'group', topic: 't', group: 'g', groupVersion: 0, partition: 0, offset: 42n });
    const closing = gateway.close();
    await expect(gateway.subscribe({ topic: 't', group: 'g', groupVersion: 0, autoOffsetReset: 'earliest' })).rejects.toThrow(/shutting down/);
    await Promise.resolve();
    expect(positionsClosed).toBe(false);

    release();
    await ack;
    await closing;
    expect(positionsClosed).toBe(true);
    expect(storedWhenClosed).toBe(42n);
  });
});
