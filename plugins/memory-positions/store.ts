import {
  checkPositionUpdate,
  UnavailableError,
  type GroupId,
  type PartitionPositions,
  type PositionsStore,
  type StoredPositions,
} from '../../src/contracts/index.ts';


/** topic -> group name -> version -> partition -> offset */
type Positions = Map<string, Map<string, Map<number, Map<number, bigint>>>>;

/**
 * Positions kept in this process only: lost on restart. Good for tests and
 * for trying the gateway out; never for production.
 */
export class MemoryPositionsStore implements PositionsStore {
  readonly #positions: Positions = new Map();
  readonly address = 'in-process (not durable)';
  #closed = false;

  async update(topic: string, group: GroupId, partition: number, offset: bigint): Promise<void> {
    this.#assertOpen();
    checkPositionUpdate(group, partition, offset);
    let groups = this.#positions.get(topic);
    if (!groups) this.#positions.set(topic, (groups = new Map()));
    let versions = groups.get(group.name);
    if (!versions) groups.set(group.name, (versions = new Map()));
    let partitions = versions.get(group.version);
    if (!partitions) versions.set(group.version, (partitions = new Map()));
    partitions.set(partition, offset);
  }

  async fetch(topic: string, group: GroupId): Promise<PartitionPositions> {
    this.#assertOpen();
    return new Map(this.#positions.get(topic)?.get(group.name)?.get(group.version));
  }

  async fetchAllVersions(topic: string, groupName: string): Promise<ReadonlyMap<number, PartitionPositions>> {
    this.#assertOpen();
    const result = new Map<number, PartitionPositions>();
    for (const [version, partitions] of this.#positions.get(topic)?.get(groupName) ?? []) result.set(version, new Map(partitions));
    return result;
  }

  async *findAll(): AsyncIterable<StoredPositions> {
    this.#assertOpen();
    // Snapshot first, so that updates during iteration cannot disturb it.
    const snapshot: StoredPositions[] = [];
    for (const [topic, groups] of this.#positions) {
      for (const [name, versions] of groups) {
        for (const [version, partitions] of versions) snapshot.push({ topic, group: { name, version }, positions: new Map(partitions) });
      }
    }
    yield* snapshot;
  }

  readonly #reports = new Map<string, { report: string; expiresAt: number }>();

  async publishGatewayReport(gatewayId: string, report: string, ttlMs: number): Promise<void> {
    this.#assertOpen();
    this.#reports.set(gatewayId, { report, expiresAt: Date.now() + ttlMs });
  }

  async fetchGatewayReports(): Promise<ReadonlyMap<string, string>> {
    this.#assertOpen();
    const now = Date.now();
    const result = new Map<string, string>();
    for (const [id, { report, expiresAt }] of this.#reports) {
      if (expiresAt > now) result.set(id, report);
      else this.#reports.delete(id);
    }
    return result;
  }

  /** Always reachable while open: it lives in this process. */
  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new UnavailableError('positions store "memory" is closed');
  }
}

