import type { AutoOffsetReset, PartitionSource, StoredRecord, SubscribeOptions } from '../../src/contracts/index.ts';
import type { PartitionLog } from './partition-log.ts';

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
    const stop = AbortSignal.any([signal, this.revocation.signal]);
    const start = (await this.startOffsets([this.partition])).get(this.partition);
    let offset = start ?? (this.autoOffsetReset === 'earliest' ? 0n : this.log.endOffset);
    while (!stop.aborted) {
      const record = this.log.at(offset);
      if (record === undefined) {
        await this.appendOrStop(stop);
        continue;
      }
      offset++;
      yield record;
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
