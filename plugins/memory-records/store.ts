import { randomUUID } from 'node:crypto';
import { BehaviorSubject } from 'rxjs';
import {
  partitionForKey,
  UnavailableError,
  type Envelope,
  type PartitionSource,
  type PublishResult,
  type RecordsStore,
  type SubscribeOptions,
  type Subscription,
} from '../../src/contracts/index.ts';
import { ConsumerGroup, type GroupMember } from './consumer-group.ts';
import { PartitionLog } from './partition-log.ts';

/** Records kept in this process's memory: for development and tests, not durable. */
export class MemoryRecordsStore implements RecordsStore {
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly members = new Set<{ group: ConsumerGroup; member: GroupMember }>();
  private roundRobin = 0;
  private closed = false;
  readonly address = 'in-process (not durable)';

  constructor(readonly partitionsPerTopic: number) {}

  async publish(envelope: Envelope): Promise<PublishResult> {
    this.ensureOpen();
    const logs = this.topic(envelope.topic);
    const partition =
      envelope.key !== null && envelope.key.length > 0
        ? partitionForKey(envelope.key, logs.length)
        : this.roundRobin++ % logs.length;
    const stored = logs[partition]!.append({
      topic: envelope.topic,
      partition,
      timestamp: new Date(),
      key: envelope.key,
      value: envelope.event === null ? envelope.value : envelope.event.data,
      event: envelope.event,
      headers: envelope.headers,
    });
    return { topic: envelope.topic, partition, offset: stored.offset };
  }

  /** In order, each as publish() stores it (the store has no requests to save). */
  async publishBatch(envelopes: readonly Envelope[]): Promise<PublishResult[]> {
    const results: PublishResult[] = [];
    for (const envelope of envelopes) results.push(await this.publish(envelope));
    return results;
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.ensureOpen();
    const key = JSON.stringify([options.topic, options.group]);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new ConsumerGroup(this.topic(options.topic));
      this.groups.set(key, group);
    }
    const member: GroupMember = {
      id: randomUUID(),
      autoOffsetReset: options.autoOffsetReset,
      startOffsets: options.startOffsets,
      assignments: new BehaviorSubject<readonly PartitionSource[]>([]),
    };
    const entry = { group, member };
    this.members.add(entry);
    group.join(member);
    const owner = group;
    return {
      assignments: member.assignments.asObservable(),
      close: async () => {
        this.members.delete(entry);
        owner.leave(member);
        if (owner.size === 0 && this.groups.get(key) === owner) this.groups.delete(key);
      },
    };
  }

  async getEndOffsets(topic: string): Promise<ReadonlyMap<number, bigint>> {
    this.ensureOpen();
    const result = new Map<number, bigint>();
    this.topics.get(topic)?.forEach((log, partition) => {
      if (log.endOffset > 0n) result.set(partition, log.endOffset - 1n);
    });
    return result;
  }

  /** Always reachable while open: it lives in this process. */
  async ping(): Promise<void> {
    this.ensureOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { group, member } of [...this.members]) group.leave(member);
    this.members.clear();
    this.groups.clear();
  }

  private topic(name: string): PartitionLog[] {
    let logs = this.topics.get(name);
    if (logs === undefined) {
      logs = Array.from({ length: this.partitionsPerTopic }, () => new PartitionLog());
      this.topics.set(name, logs);
    }
    return logs;
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError('memory records store is closed');
  }
}
