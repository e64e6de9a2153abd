/**
 * Key layout of the Redis positions store.
 *
 *   key:   <prefix>{<enc(topic)>:<enc(group name)>}      (a hash)
 *   field: <version>:<partition>                           (decimal uint32s)
 *   value: <offset>                                        (decimal uint64, exact)
 *
 * with the default prefix `sluice:positions:`. One hash holds every version
 * and partition of one group on one topic, so fetch and fetchAllVersions are
 * one HGETALL, and an update of many partitions is one HSET.
 *
 * The part between braces is a Redis Cluster hash tag: all of a group's data
 * lands in one slot. `enc` percent-encodes (as UTF-8 bytes, upper-case hex)
 * every character outside [A-Za-z0-9._-], so the encoded names hold none of
 * ':', '{', '}', '%' or a glob character: the first '{', the first '}' and the
 * one ':' between them are always ours, the mapping is reversible (findAll
 * decodes keys back to names), and distinct (topic, group) pairs never share a
 * key. Valid topic names ([a-zA-Z0-9._-]) stay readable as they are.
 */
export const DEFAULT_PREFIX = 'sluice:positions:';

const SAFE = /^[A-Za-z0-9._-]*$/;
const UNSAFE = /[^A-Za-z0-9._-]+/g;

export function encodeName(name: string): string {
  if (SAFE.test(name)) return name;
  return name.replace(UNSAFE, (run) => {
    let out = '';
    for (const byte of Buffer.from(run, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    return out;
  });
}

export function decodeName(encoded: string): string | undefined {
  if (SAFE.test(encoded)) return encoded;
  if (!/^(?:[A-Za-z0-9._-]|%[0-9A-F]{2})*$/.test(encoded)) return undefined;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

export function groupKey(prefix: string, topic: string, groupName: string): string {
  return `${prefix}{${encodeName(topic)}:${encodeName(groupName)}}`;
}

/** The topic and group name of a key of this layout, or undefined for any other key. */
export function parseGroupKey(prefix: string, key: string): { topic: string; groupName: string } | undefined {
  if (!key.startsWith(prefix) || key[prefix.length] !== '{' || !key.endsWith('}')) return undefined;
  const inner = key.slice(prefix.length + 1, -1);
  const colon = inner.indexOf(':');
  if (colon < 0 || inner.indexOf(':', colon + 1) >= 0) return undefined;
  const topic = decodeName(inner.slice(0, colon));
  const groupName = decodeName(inner.slice(colon + 1));
  if (topic === undefined || groupName === undefined) return undefined;
  return { topic, groupName };
}

/** SCAN MATCH pattern for every key of this layout under `prefix`. */
export function scanPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}{*}`;
}

export function positionField(version: number, partition: number): string {
  return `${version}:${partition}`;
}

const FIELD = /^(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,9})$/;
const OFFSET = /^(0|[1-9][0-9]{0,19})$/;

export function parseField(field: string): { version: number; partition: number } | undefined {
  const match = FIELD.exec(field);
  if (!match) return undefined;
  return { version: Number(match[1]), partition: Number(match[2]) };
}

export function parseOffset(value: string): bigint | undefined {
  return OFFSET.test(value) ? BigInt(value) : undefined;
}
