import { describe, expect, it } from 'vitest';
import { ActivityLog } from '../../src/gateway/activity.ts';
import { lagOf } from '../../src/metrics/lag.ts';

describe('activity log', () => {
  const g = (name: string) => ({ name, version: 0 });

  it('keeps at most maxEntries partitions, forgetting the least recently active', () => {
    const log = new ActivityLog(2);
    log.delivered('t', g('a'), 0, 5);
    log.acked('t', g('b'), 0, 3n);
    log.delivered('t', g('a'), 0, 1);
    log.acked('t', g('c'), 0, 9n);
    expect(log.all().map((e) => e.group.name)).toEqual(['a', 'c']);
    expect(log.get('t', g('a'), 0)?.delivered).toBe(6);
    expect(log.get('t', g('b'), 0)).toBeUndefined();
    expect(log.evicted).toBe(1);
  });
});

describe('lag', () => {
  it('is end − position, everything written when never acked, 0 when nothing written or acked past the end', () => {
    expect(lagOf(3n, 10n)).toBe(7n);
    expect(lagOf(undefined, 10n)).toBe(11n);
    expect(lagOf(undefined, undefined)).toBe(0n);
    expect(lagOf(12n, 10n)).toBe(0n);
  });
});
