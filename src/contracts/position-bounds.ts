import { InvalidArgumentError } from './errors.ts';
import type { GroupId } from './positions.ts';

const MAX_UINT32 = 0xffff_ffff;
const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * The bounds every positions store enforces on an update: the wire's own
 * (uint32 version and partition, uint64 offset), which key layouts rely on.
 */
export function checkPositionUpdate(group: GroupId, partition: number, offset: bigint): void {
  if (!Number.isInteger(group.version) || group.version < 0 || group.version > MAX_UINT32) {
    throw new InvalidArgumentError('group_version', `must be an integer from 0 to ${MAX_UINT32}`);
  }
  if (!Number.isInteger(partition) || partition < 0 || partition > MAX_UINT32) {
    throw new InvalidArgumentError('partition', `must be an integer from 0 to ${MAX_UINT32}`);
  }
  if (typeof offset !== 'bigint' || offset < 0n || offset > MAX_UINT64) {
    throw new InvalidArgumentError('offset', 'must be a bigint from 0 to 2^64-1');
  }
}
