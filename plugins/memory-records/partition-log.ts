import type { StoredRecord } from '../../src/contracts/index.ts';

/** An append-only list of one partition's records that readers can wait on. */
export class PartitionLog {
  readonly records: StoredRecord[] = [];
  private appended: { promise: Promise<void>; resolve: () => void } | null = null;

  get endOffset(): bigint {
    return BigInt(this.records.length);
  }

  append(record: Omit<StoredRecord, 'offset'>): StoredRecord {
    const stored: StoredRecord = { ...record, offset: this.endOffset };
    this.records.push(stored);
    const waiting = this.appended;
    this.appended = null;
    waiting?.resolve();
    return stored;
  }

  at(offset: bigint): StoredRecord | undefined {
    return offset < this.endOffset ? this.records[Number(offset)] : undefined;
  }

  /** Up to `max` records from `offset` on (fewer at the end of the log). */
  slice(offset: bigint, max: number): StoredRecord[] {
    if (offset >= this.endOffset) return [];
    const from = Number(offset);
    return this.records.slice(from, from + max);
  }

  /** Resolves at the next append. One shared promise, so idle readers cost nothing per record. */
  nextAppend(): Promise<void> {
    if (this.appended === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.appended = { promise, resolve };
    }
    return this.appended.promise;
  }
}
