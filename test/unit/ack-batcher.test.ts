import { describe, expect, it } from 'vitest';
import { AckBatcher, type Batch } from '../../plugins/redis-positions/ack-batcher.ts';

/** A flush function whose calls the test settles by hand, and a scheduler it runs by hand. */
function harness(options: { maxFieldsPerFlush?: number } = {}) {
  const calls: Array<{ batch: Record<string, Record<string, number>>; resolve: (errors?: Map<string, Error>) => void; reject: (e: Error) => void }> = [];
  const scheduled: Array<() => void> = [];
  const batcher = new AckBatcher<number>(
    (batch: Batch<number>) =>
      new Promise((resolve, reject) => {
        const plain = Object.fromEntries([...batch].map(([key, fields]) => [key, Object.fromEntries(fields)]));
        calls.push({ batch: plain, resolve: (errors) => resolve(errors), reject });
      }),
    { ...options, schedule: (run) => void scheduled.push(run) },
  );
  const tick = () => {
    for (const run of scheduled.splice(0)) run();
  };
  return { batcher, calls, tick, scheduled };
}

/** Lets promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function track(promise: Promise<void>) {
  const state = { done: false, error: undefined as Error | undefined };
  promise.then(
    () => void (state.done = true),
    (error: Error) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
}

describe('AckBatcher', () => {
  it('defers the first flush to the scheduler and writes everything submitted before it in one batch', async () => {
    const { batcher, calls, tick } = harness();
    const a = track(batcher.submit('k1', 'f1', 1));
    const b = track(batcher.submit('k1', 'f2', 2));
    const c = track(batcher.submit('k2', 'f1', 3));
    expect(calls).toHaveLength(0);
    tick();
    expect(calls.map((call) => call.batch)).toEqual([{ k1: { f1: 1, f2: 2 }, k2: { f1: 3 } }]);
    await settle();
    expect([a.done, b.done, c.done]).toEqual([false, false, false]);
    calls[0]!.resolve();
    await settle();
    expect([a, b, c].map((s) => [s.done, s.error])).toEqual([
      [true, undefined],
      [true, undefined],
      [true, undefined],
    ]);
  });

  it('collapses submissions of one field to the latest value and settles all of them with that write', async () => {
    const { batcher, calls, tick } = harness();
    const states = [10, 200, 100].map((value) => track(batcher.submit('k', 'f', value)));
    tick();
    expect(calls.map((call) => call.batch)).toEqual([{ k: { f: 100 } }]);
    calls[0]!.resolve();
    await settle();
    expect(states.every((s) => s.done && !s.error)).toBe(true);
    expect(batcher.stats).toEqual({ submitted: 3, flushes: 1, fieldsWritten: 1, keysWritten: 1 });
  });

  it('keeps one flush in flight; what arrives meanwhile goes in the next, in order, never reordered', async () => {
    const { batcher, calls, tick, scheduled } = harness();
    const first = track(batcher.submit('k', 'f', 10));
    tick();
    // In flight: {f: 10}. These wait; the newest value for f must be the one written next.
    const second = track(batcher.submit('k', 'f', 200));
    const third = track(batcher.submit('k', 'f', 100));
    const other = track(batcher.submit('k', 'g', 1));
    tick();
    expect(scheduled).toHaveLength(0);
    expect(calls).toHaveLength(1);
    await settle();
    expect(second.done || third.done || other.done).toBe(false);

    calls[0]!.resolve();
    await settle();
    expect(first.done && !first.error).toBe(true);
    expect(second.done).toBe(false);
    tick();
    expect(calls.map((call) => call.batch)).toEqual([{ k: { f: 10 } }, { k: { f: 100, g: 1 } }]);
    calls[1]!.resolve();
    await settle();
    expect([second, third, other].every((s) => s.done && !s.error)).toBe(true);
  });

  it('rejects every submission of a failed flush with its error, and carries on with the next', async () => {
    const { batcher, calls, tick } = harness();
    const a = track(batcher.submit('k1', 'f', 1));
    const b = track(batcher.submit('k2', 'f', 2));
    tick();
    const c = track(batcher.submit('k1', 'f', 3));
    const failure = new Error('connection lost');
    calls[0]!.reject(failure);
    await settle();
    expect(a.error).toBe(failure);
    expect(b.error).toBe(failure);
    expect(c.done).toBe(false);
    tick();
    expect(calls[1]!.batch).toEqual({ k1: { f: 3 } });
    calls[1]!.resolve();
    await settle();
    expect(c.done && !c.error).toBe(true);
  });

  it('rejects only the keys a flush reports as failed', async () => {
    const { batcher, calls, tick } = harness();
    const a = track(batcher.submit('good', 'f', 1));
    const b1 = track(batcher.submit('bad', 'f', 2));
    const b2 = track(batcher.submit('bad', 'g', 3));
    tick();
    const failure = new Error('WRONGTYPE');
    calls[0]!.resolve(new Map([['bad', failure]]));
    await settle();
    expect(a.done && !a.error).toBe(true);
    expect(b1.error).toBe(failure);
    expect(b2.error).toBe(failure);
    expect(batcher.stats.fieldsWritten).toBe(1);
  });

  it('treats a flush function that throws synchronously as a failed flush', async () => {
    const failure = new Error('boom');
    const batcher = new AckBatcher<number>(
      () => {
        throw failure;
      },
      { schedule: (run) => queueMicrotask(run) },
    );
    await expect(batcher.submit('k', 'f', 1)).rejects.toBe(failure);
    await expect(batcher.submit('k', 'f', 2)).rejects.toBe(failure);
  });

  it('splits a batch larger than maxFieldsPerFlush, oldest first, and never splits one field across flushes out of order', async () => {
    const { batcher, calls, tick } = harness({ maxFieldsPerFlush: 3 });
    const states = [
      track(batcher.submit('a', 'f1', 1)),
      track(batcher.submit('a', 'f2', 2)),
      track(batcher.submit('b', 'f1', 3)),
      track(batcher.submit('b', 'f2', 4)),
      track(batcher.submit('c', 'f1', 5)),
    ];
    expect(batcher.pending).toBe(5);
    tick();
    expect(calls[0]!.batch).toEqual({ a: { f1: 1, f2: 2 }, b: { f1: 3 } });
    expect(batcher.pending).toBe(2);
    // A newer value for a field already in flight waits for the next flush.
    const newer = track(batcher.submit('a', 'f1', 9));
    calls[0]!.resolve();
    await settle();
    tick();
    expect(calls[1]!.batch).toEqual({ b: { f2: 4 }, c: { f1: 5 }, a: { f1: 9 } });
    calls[1]!.resolve();
    await settle();
    expect([...states, newer].every((s) => s.done && !s.error)).toBe(true);
  });

  it('drain() resolves once everything submitted has settled', async () => {
    const { batcher, calls, tick } = harness();
    void batcher.submit('k', 'f', 1);
    let drained = false;
    const draining = batcher.drain().then(() => void (drained = true));
    tick();
    await settle();
    expect(drained).toBe(false);
    void batcher.submit('k', 'f', 2);
    calls[0]!.resolve();
    await settle();
    tick();
    await settle();
    expect(drained).toBe(false);
    calls[1]!.resolve();
    await draining;
    expect(drained).toBe(true);
  });

  it('with the default scheduler, coalesces submissions made in the same turn of the event loop', async () => {
    const batches: Array<Batch<number>> = [];
    const batcher = new AckBatcher<number>(async (batch) => void batches.push(batch));
    await Promise.all(Array.from({ length: 1000 }, (_, i) => batcher.submit(`k${i % 4}`, `p${i % 50}`, i)));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.size).toBe(4);
    expect([...batches[0]!.values()].reduce((n, fields) => n + fields.size, 0)).toBe(100);
    expect(batches[0]!.get('k3')!.get('p49')).toBe(999);
  });
});
