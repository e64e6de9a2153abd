import type { GroupId, PartitionPositions, PositionsStore } from '../contracts/index.ts';

/**
 * The positions a subscription starts from. An unversioned (version 0)
 * subscription reads the lowest version stored, as Liiklus does, so that
 * moving a group from versionless to versioned keeps its place.
 */
export async function subscriptionPositions(store: PositionsStore, topic: string, group: GroupId): Promise<PartitionPositions> {
  if (group.version !== 0) return store.fetch(topic, group);
  const versions = await store.fetchAllVersions(topic, group.name);
  if (versions.size === 0) return new Map();
  const lowest = Math.min(...versions.keys());
  return versions.get(lowest) ?? new Map();
}

/** partition -> next offset to deliver (position + 1). */
export function nextOffsets(positions: PartitionPositions, partitions: readonly number[]): Map<number, bigint> {
  const result = new Map<number, bigint>();
  for (const partition of partitions) {
    const position = positions.get(partition);
    if (position !== undefined) result.set(partition, position + 1n);
  }
  return result;
}

/** The highest offset any version of the group acked in `partition`; records up to it are replays. */
export async function replayWatermark(store: PositionsStore, topic: string, groupName: string, partition: number): Promise<bigint> {
  const versions = await store.fetchAllVersions(topic, groupName);
  let highest = -1n;
  for (const positions of versions.values()) {
    const offset = positions.get(partition);
    if (offset !== undefined && offset > highest) highest = offset;
  }
  return highest;
}
