import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { AckBatcher } from '../../src/client/acks.ts';
import type { SubscriptionEvent } from '../../src/client/types.ts';

describe('client ack batcher with slow acks', () => {
  it('merges the flushes that wait for the one in flight into one, which sends the latest offsets', async () => {
    const sent: Array<[number, bigint]> = [];
    const inFlight: Array<() => void> = [];
    const send = (partition: number, offset: bigint) =>
      new Promise<void>((resolve) => {
        sent.push([partition, offset]);
        inFlight.push(resolve);
      });
    const batcher = new AckBatcher(send, { records: 1, ms: 60_000 }, new Subject<SubscriptionEvent>());
    const rounds = vi.spyOn(batcher as unknown as { sendPending: () => Promise<void> }, 'sendPending');
    batcher.processed(0, 0n);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([[0, 0n]]); // in flight, slow
    // 1,000 records processed meanwhile: each triggers a flush.
    const flushes: Promise<void>[] = [];
    for (let offset = 1n; offset <= 1000n; offset++) {
      batcher.processed(Number(offset % 2n), offset);
      flushes.push(batcher.flush('records'));
    }
    inFlight.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.slice(1)).toEqual([
      [0, 1000n],
      [1, 999n],
    ]);
    inFlight.splice(0).forEach((resolve) => resolve());
    await Promise.all(flushes);
    // The first round and one merged round, not one round per trigger.
    expect(rounds).toHaveBeenCalledTimes(2);
    batcher.stop();
  });
});
