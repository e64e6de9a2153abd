import type { GroupId } from '../contracts/index.ts';

export interface PartitionActivity {
  readonly topic: string;
  readonly group: GroupId;
  readonly partition: number;
  /** Records delivered by Receive streams that have ended (open streams count in StreamStats). */
  delivered: number;
  /** Date.now() of the last ack through this gateway. */
  lastAckAt: number | undefined;
  lastAckOffset: bigint | undefined;
}

/**
 * What this gateway did per (topic, group version, partition): records
 * delivered and the last ack. Bounded: past `maxEntries` the least recently
 * active entry is forgotten (its counter restarts if it comes back), so a
 * stream of new group names cannot grow memory or metric series without limit.
 */
export class ActivityLog {
  private readonly entries = new Map<string, PartitionActivity>();
  evicted = 0;

  constructor(private readonly maxEntries: number) {}

  delivered(topic: string, group: GroupId, partition: number, records: number): void {
    if (records > 0) this.touch(topic, group, partition).delivered += records;
  }

  acked(topic: string, group: GroupId, partition: number, offset: bigint): void {
    const entry = this.touch(topic, group, partition);
    entry.lastAckAt = Date.now();
    entry.lastAckOffset = offset;
  }

  get(topic: string, group: GroupId, partition: number): PartitionActivity | undefined {
    return this.entries.get(keyOf(topic, group, partition));
  }

  all(): readonly PartitionActivity[] {
    return [...this.entries.values()];
  }

  private touch(topic: string, group: GroupId, partition: number): PartitionActivity {
    const key = keyOf(topic, group, partition);
    let entry = this.entries.get(key);
    if (entry !== undefined) {
      // Re-inserted: the map's order is least recently active first.
      this.entries.delete(key);
    } else {
      entry = { topic, group, partition, delivered: 0, lastAckAt: undefined, lastAckOffset: undefined };
      if (this.entries.size >= this.maxEntries) {
        this.entries.delete(this.entries.keys().next().value!);
        this.evicted++;
      }
    }
    this.entries.set(key, entry);
    return entry;
  }
}

export function keyOf(topic: string, group: GroupId, partition: number): string {
  return `${topic}\u0000${group.name}\u0000${group.version}\u0000${partition}`;
}
