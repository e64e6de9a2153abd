import type { GroupId, PositionsStore, RecordsStore } from '../contracts/index.ts';
import type { Gateway } from '../gateway/index.ts';

/** One (topic, group version, partition): where the group is and how far behind. */
export interface PartitionLag {
  topic: string;
  group: GroupId;
  partition: number;
  /** Last acked offset; undefined when the group never acked this partition. */
  position: bigint | undefined;
  /** Offset of the last record written; undefined when the partition was never written. */
  end: bigint | undefined;
  /** Records written and not acked: end − position (everything up to end when never acked), never below 0. */
  lag: bigint;
}

export interface LagSnapshot {
  /** Date.now() when the stores were read. */
  readAt: number;
  partitions: PartitionLag[];
  /** Rows left out past the cap. */
  dropped: number;
  /** Topics whose end offsets could not be read (store down), with the reason. */
  errors: string[];
}

/** End-offset reads in flight at once in a snapshot. */
const END_OFFSET_READS = 8;

export interface LagOptions {
  /** A snapshot is reused for this long: scrapes and dashboards never hit the stores more often. */
  ttlMs: number;
  /** Most rows in a snapshot (each row is a label set of the lag metrics). */
  maxRows: number;
}

/**
 * Consumer lag of every group the positions store knows (all gateways sharing
 * it) and every group subscribed here: one scan of the positions store
 * (findAll) and one end-offsets read per topic per snapshot, not a round trip
 * per partition per scrape. Concurrent readers share one read.
 */
export class LagReader {
  private cached: LagSnapshot | undefined;
  private pending: Promise<LagSnapshot> | undefined;
  reads = 0;

  constructor(
    private readonly gateway: Gateway,
    private readonly records: RecordsStore,
    private readonly positions: PositionsStore,
    private readonly options: LagOptions,
  ) {}

  /** The latest snapshot no older than ttlMs; never rejects (failures are in `errors`). */
  read(): Promise<LagSnapshot> {
    if (this.cached && Date.now() - this.cached.readAt < this.options.ttlMs) return Promise.resolve(this.cached);
    this.pending ??= this.readStores().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async readStores(): Promise<LagSnapshot> {
    this.reads++;
    const readAt = Date.now();
    const errors: string[] = [];
    // topic -> "name\0version" -> group and its positions
    const groups = new Map<string, Map<string, { group: GroupId; positions: ReadonlyMap<number, bigint> }>>();
    const add = (topic: string, group: GroupId, positions: ReadonlyMap<number, bigint>) => {
      let byGroup = groups.get(topic);
      if (!byGroup) groups.set(topic, (byGroup = new Map()));
      const key = `${group.name}\u0000${group.version}`;
      if (!byGroup.has(key) || positions.size > 0) byGroup.set(key, { group, positions });
    };
    for (const session of this.gateway.sessionViews()) add(session.topic, session.group, new Map());
    try {
      for await (const stored of this.positions.findAll()) add(stored.topic, stored.group, stored.positions);
    } catch (err) {
      errors.push(`positions: ${(err as Error).message}`);
    }

    const topics = [...groups.keys()].sort((a, b) => a.localeCompare(b));
    const endsByTopic = await this.readEnds(topics, errors);
    const partitions: PartitionLag[] = [];
    let dropped = 0;
    for (const topic of topics) {
      const byGroup = groups.get(topic)!;
      const ends = endsByTopic.get(topic);
      if (ends === undefined) continue;
      for (const { group, positions } of [...byGroup.values()].sort(compareGroups)) {
        const numbers = [...new Set([...ends.keys(), ...positions.keys()])].sort((a, b) => a - b);
        for (const partition of numbers) {
          if (partitions.length >= this.options.maxRows) {
            dropped++;
            continue;
          }
          const position = positions.get(partition);
          const end = ends.get(partition);
          partitions.push({ topic, group, partition, position, end, lag: lagOf(position, end) });
        }
      }
    }
    this.cached = { readAt, partitions, dropped, errors };
    return this.cached;
  }

  /** End offsets of every topic, END_OFFSET_READS at a time (one request per topic; many topics must not take turns). */
  private async readEnds(topics: readonly string[], errors: string[]): Promise<Map<string, ReadonlyMap<number, bigint>>> {
    const result = new Map<string, ReadonlyMap<number, bigint>>();
    let next = 0;
    const worker = async () => {
      while (next < topics.length) {
        const topic = topics[next++]!;
        try {
          result.set(topic, await this.records.getEndOffsets(topic));
        } catch (err) {
          errors.push(`${topic}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(END_OFFSET_READS, topics.length) }, worker));
    return result;
  }
}

export function lagOf(position: bigint | undefined, end: bigint | undefined): bigint {
  if (end === undefined) return 0n;
  const lag = position === undefined ? end + 1n : end - position;
  return lag > 0n ? lag : 0n;
}

function compareGroups(a: { group: GroupId }, b: { group: GroupId }): number {
  return a.group.name.localeCompare(b.group.name) || a.group.version - b.group.version;
}
