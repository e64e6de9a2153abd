import type { GroupId, PartitionSource, Subscription } from '../contracts/index.ts';
import type { CompiledFilter } from '../filtering/index.ts';

/**
 * One Subscribe stream: a member of a consumer group, the partitions it holds
 * now, and the one open Receive per partition.
 */
export class Session {
  private readonly sources = new Map<number, PartitionSource>();
  private readonly readers = new Map<number, AbortController>();
  readonly openedAt = Date.now();

  constructor(
    readonly id: string,
    readonly topic: string,
    readonly group: GroupId,
    readonly subscription: Subscription,
    /** The principal that opened it (undefined without authentication). */
    readonly owner?: string,
    /** The subscription's filter; undefined: every record is delivered. */
    readonly filter?: CompiledFilter,
  ) {}

  /**
   * Records the member's whole assignment; returns the sources that are new to
   * it. The Receive of a partition revoked (or assigned anew) ends now, even
   * while it waits on something other than its source (a retry topic's record
   * held until due), rather than when it next pulls.
   */
  assign(current: readonly PartitionSource[]): PartitionSource[] {
    const fresh = current.filter((source) => this.sources.get(source.partition) !== source);
    const kept = new Set(current.map((s) => s.partition));
    for (const partition of this.sources.keys()) {
      if (kept.has(partition)) continue;
      this.sources.delete(partition);
      this.endReader(partition, 'partition revoked');
    }
    for (const source of fresh) {
      if (this.sources.has(source.partition)) this.endReader(source.partition, 'partition assigned anew');
      this.sources.set(source.partition, source);
    }
    return fresh;
  }

  private endReader(partition: number, why: string): void {
    this.readers.get(partition)?.abort(new Error(why));
    this.readers.delete(partition);
  }

  source(partition: number): PartitionSource | undefined {
    return this.sources.get(partition);
  }

  get partitions(): number[] {
    return [...this.sources.keys()].sort((a, b) => a - b);
  }

  /**
   * Registers the Receive for `partition`, ending the one before it: the last
   * reader wins, so a client that reconnects is not refused by its own stale stream.
   */
  openReader(partition: number): AbortController {
    this.readers.get(partition)?.abort(new Error('superseded by a newer Receive'));
    const controller = new AbortController();
    this.readers.set(partition, controller);
    return controller;
  }

  closeReader(partition: number, controller: AbortController): void {
    if (this.readers.get(partition) === controller) this.readers.delete(partition);
  }

  async close(): Promise<void> {
    for (const reader of this.readers.values()) reader.abort(new Error('subscription ended'));
    this.readers.clear();
    this.sources.clear();
    await this.subscription.close();
  }
}
