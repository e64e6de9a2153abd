import { BehaviorSubject } from 'rxjs';
import type { AutoOffsetReset, PartitionSource, SubscribeOptions } from '../../src/contracts/index.ts';
import { balance } from './balance.ts';
import type { PartitionLog } from './partition-log.ts';
import { MemoryPartitionSource } from './partition-source.ts';

export interface GroupMember {
  readonly id: string;
  readonly autoOffsetReset: AutoOffsetReset;
  readonly startOffsets: SubscribeOptions['startOffsets'];
  readonly assignments: BehaviorSubject<readonly PartitionSource[]>;
}

/** A consumer group on one topic: members join and leave, partitions are rebalanced at once. */
export class ConsumerGroup {
  private readonly members: GroupMember[] = [];
  private readonly owned = new Map<string, MemoryPartitionSource[]>();

  constructor(private readonly logs: readonly PartitionLog[]) {}

  get size(): number {
    return this.members.length;
  }

  join(member: GroupMember): void {
    this.members.push(member);
    this.rebalance();
  }

  leave(member: GroupMember): void {
    const index = this.members.indexOf(member);
    if (index < 0) return;
    this.members.splice(index, 1);
    for (const source of this.owned.get(member.id) ?? []) source.revoke();
    this.owned.delete(member.id);
    member.assignments.complete();
    this.rebalance();
  }

  private rebalance(): void {
    const current = new Map([...this.owned].map(([id, sources]) => [id, sources.map((s) => s.partition)]));
    const next = balance(this.logs.length, this.members.map((m) => m.id), current);
    // Revoke everything that moves before granting it elsewhere, so no
    // partition is ever read by two members at once.
    const kept = new Map<string, MemoryPartitionSource[]>();
    for (const member of this.members) {
      const target = new Set(next.get(member.id) ?? []);
      const sources = this.owned.get(member.id) ?? [];
      for (const source of sources) if (!target.has(source.partition)) source.revoke();
      kept.set(member.id, sources.filter((s) => target.has(s.partition)));
    }
    for (const member of this.members) {
      const sources = kept.get(member.id)!;
      const have = new Set(sources.map((s) => s.partition));
      for (const partition of next.get(member.id) ?? []) {
        if (have.has(partition)) continue;
        sources.push(new MemoryPartitionSource(partition, this.logs[partition]!, member.autoOffsetReset, member.startOffsets));
      }
      sources.sort((a, b) => a.partition - b.partition);
      const previous = this.owned.get(member.id) ?? [];
      this.owned.set(member.id, sources);
      const changed = previous.length !== sources.length || previous.some((s, i) => s !== sources[i]);
      if (changed) member.assignments.next([...sources]);
    }
  }
}
