import type { GroupId } from '../contracts/index.ts';

const LEGACY_VERSIONED = /^(.+)-v(\d+)$/;

/**
 * The group a request names. With group_version 0, a name ending in `-vN`
 * is Liiklus's legacy spelling of version N of the name before it.
 */
export function resolveGroupId(group: string, groupVersion: number): GroupId {
  if (groupVersion !== 0) return { name: group, version: groupVersion };
  const legacy = LEGACY_VERSIONED.exec(group);
  if (legacy !== null) {
    const version = Number(legacy[2]);
    if (Number.isSafeInteger(version) && version > 0 && version <= 0xffffffff) return { name: legacy[1]!, version };
  }
  return { name: group, version: 0 };
}
