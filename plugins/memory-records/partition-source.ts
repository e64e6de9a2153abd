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
    const stopped = new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      else stop.addEventListener('abort', () => resolve(), { once: true });
    });
    const start = (await this.startOffsets([this.partition])).get(this.partition);
    let offset = start ?? (this.autoOffsetReset === 'earliest' ? 0n : this.log.endOffset);
    while (!stop.aborted) {
      const record = this.log.at(offset);
      if (record === undefined) {
        await Promise.race([this.log.nextAppend(), stopped]);
        continue;
      }
      offset++;
      yield record;
    }
  }
}
