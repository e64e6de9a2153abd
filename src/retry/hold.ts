import type { StoredRecord } from '../contracts/index.ts';
import { dueAt } from './headers.ts';

/** Records held back until due, and released once due (counted for metrics). */
export interface HoldCounts {
  held: number;
  released: number;
}

/**
 * The batches of a retry topic's partition, each record let through only once
 * its sluice-retry-at time has come. While the head record is not due, the
 * generator waits on one timer and pulls nothing more from `batches`, so the
 * store's read-ahead fills and the partition pauses (backpressure, no busy
 * loop). Records are released in offset order: a record due earlier behind
 * one due later waits for it (due times of one partition are not monotonic
 * when delays differ between attempts; docs/retry.md). Ends quietly when
 * `signal` aborts (cancel, revocation, shutdown).
 */
export async function* holdUntilDue(
  batches: AsyncIterable<readonly StoredRecord[]>,
  signal: AbortSignal,
  counts: HoldCounts,
  now: () => number = Date.now,
): AsyncGenerator<readonly StoredRecord[]> {
  for await (const batch of batches) {
    let from = 0;
    let heldAt = -1;
    while (from < batch.length) {
      const time = now();
      let to = from;
      while (to < batch.length && dueAt(batch[to]!.headers) <= time) to++;
      if (to > from) {
        if (heldAt === from) counts.released++;
        yield from === 0 && to === batch.length ? batch : batch.slice(from, to);
        from = to;
        continue;
      }
      if (heldAt !== from) counts.held++;
      heldAt = from;
      if (!(await sleepUntil(dueAt(batch[from]!.headers), signal, now))) return;
    }
  }
}

/** Resolves true at `time`, false as soon as `signal` aborts. */
function sleepUntil(time: number, signal: AbortSignal, now: () => number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      Math.max(0, time - now()),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
