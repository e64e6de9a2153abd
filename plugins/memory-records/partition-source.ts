import { linkSignals, type AutoOffsetReset, type PartitionSource, type StoredRecord, type SubscribeOptions } from '../../src/contracts/index.ts';
import type { PartitionLog } from './partition-log.ts';

/** Records per batch: the log is all in memory; this bounds what a stalled reader holds (one batch). */
const MAX_BATCH = 256;

/** One partition assigned to one member; revoked by the group on rebalance. */
export class MemoryPartitionSource implements PartitionSource {
  private readonly revocation = new AbortController();

  constructor(
    readonly partition: number,
    private readonly log: PartitionLog,
    private readonly autoOffsetReset: AutoOffsetReset,
    private readonly startOffsets: SubscribeOptions['startOffsets'],
  ) {}

  get revoked(): boolean {
    return this.revocation.signal.aborted;
  }

  revoke(): void {
    this.revocation.abort();
  }

  async *records(signal: AbortSignal): AsyncIterable<StoredRecord> {
    for await (const batch of this.batches(signal)) yield* batch;
  }

  async *batches(signal: AbortSignal): AsyncIterable<readonly StoredRecord[]> {
    // Not AbortSignal.any: tied to the revocation signal (it lives as long as
    // the assignment), it would keep every reader's composite (nodejs/node#55351).
    const link = linkSignals([signal, this.revocation.signal]);
    const stop = link.signal;
    try {
      yield* this.batchesUntil(stop);
    } finally {
      link.dispose();
    }
  }

  private async *batchesUntil(stop: AbortSignal): AsyncIterable<readonly StoredRecord[]> {
    const start = (await this.startOffsets([this.partition])).get(this.partition);
    let offset = start ?? (this.autoOffsetReset === 'earliest' ? 0n : this.log.endOffset);
    while (!stop.aborted) {
      const batch = this.log.slice(offset, MAX_BATCH);
      if (batch.length === 0) {
        await this.appendOrStop(stop);
        continue;
      }
      offset += BigInt(batch.length);
      yield batch;
    }
  }

  /**
   * Waits for the next append or for `stop`. The abort listener is removed on
   * every wake-up: racing one long-lived "stopped" promise instead would pile
   * up a reaction per wait on an idle partition.
   */
  private appendOrStop(stop: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (stop.aborted) return resolve();
      const done = () => {
        stop.removeEventListener('abort', done);
        resolve();
      };
      stop.addEventListener('abort', done, { once: true });
      void this.log.nextAppend().then(done);
    });
  }
}
