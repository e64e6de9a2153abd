import { Redis } from 'ioredis';

/** calls per command (lower-case name) from INFO commandstats. */
export async function commandCalls(url: string): Promise<Map<string, number>> {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await admin.connect();
    const info = await admin.info('commandstats');
    const calls = new Map<string, number>();
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
    return calls;
  } finally {
    admin.disconnect();
  }
}

/** Commands run between two snapshots, leaving out our own INFO calls and connection setup. */
export function commandsBetween(before: Map<string, number>, after: Map<string, number>): { total: number; byCommand: Record<string, number> } {
  const ignored = new Set(['info', 'hello', 'client|setinfo', 'client|setname', 'select', 'quit', 'auth']);
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (delta === 0 || ignored.has(name)) continue;
    byCommand[name] = delta;
    total += delta;
  }
  return { total, byCommand };
}
