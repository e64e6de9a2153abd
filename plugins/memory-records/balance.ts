/**
 * Splits `partitionCount` partitions among `members` (in join order) so that
 * counts differ by at most one and a member keeps as many of its `current`
 * partitions as its share allows: a rebalance revokes only what must move.
 */
export function balance(
  partitionCount: number,
  members: readonly string[],
  current: ReadonlyMap<string, readonly number[]>,
): Map<string, number[]> {
  const result = new Map<string, number[]>();
  if (members.length === 0) return result;
  const base = Math.floor(partitionCount / members.length);
  const extra = partitionCount % members.length;
  const quota = (index: number) => base + (index < extra ? 1 : 0);

  const taken = new Set<number>();
  members.forEach((member, index) => {
    const kept = (current.get(member) ?? [])
      .filter((p) => p >= 0 && p < partitionCount && !taken.has(p))
      .slice(0, quota(index));
    kept.forEach((p) => taken.add(p));
    result.set(member, kept);
  });

  let next = 0;
  members.forEach((member, index) => {
    const owned = result.get(member)!;
    while (owned.length < quota(index)) {
      while (taken.has(next)) next++;
      owned.push(next);
      taken.add(next);
    }
    owned.sort((a, b) => a - b);
  });
  return result;
}
