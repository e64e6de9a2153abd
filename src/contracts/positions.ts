/** A consumer group at one version. Version 0 is "unversioned". */
export interface GroupId {
  name: string;
  version: number;
}

/** partition -> last acked offset */
export type PartitionPositions = ReadonlyMap<number, bigint>;

export interface StoredPositions {
  topic: string;
  group: GroupId;
  positions: PartitionPositions;
}

export interface PositionsStore {
  /**
   * Stores `offset` as the group's position in `partition`; the last write wins
   * (10, 200, 100 leaves 100). Resolves only once the store holds it durably
   * (as durable as the store is); throws UnavailableError when down.
   */
  update(topic: string, group: GroupId, partition: number, offset: bigint): Promise<void>;
  /** The positions of one group version (empty map when none). */
  fetch(topic: string, group: GroupId): Promise<PartitionPositions>;
  /** version -> positions, for every version of `groupName` on `topic`. */
  fetchAllVersions(topic: string, groupName: string): Promise<ReadonlyMap<number, PartitionPositions>>;
  /** Every stored (topic, group version). */
  findAll(): AsyncIterable<StoredPositions>;
  /**
   * A cheap reachability probe for health checks (Redis: PING): resolves when
   * the store answers, throws UnavailableError when it does not. Optional: a
   * store without it is taken as reachable. The caller bounds its time.
   */
  ping?(): Promise<void>;
  /** Where the store lives, for logs and the dashboard (e.g. `redis://host:6379/0`); never holds a password. */
  readonly address?: string;
  /**
   * Optional, for the dashboard across gateways sharing this store: stores
   * what one gateway reports about itself (opaque JSON), kept for `ttlMs`
   * unless published again. Throws UnavailableError when down.
   */
  publishGatewayReport?(gatewayId: string, report: string, ttlMs: number): Promise<void>;
  /** gatewayId -> report, for every report not expired. */
  fetchGatewayReports?(): Promise<ReadonlyMap<string, string>>;
  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}
