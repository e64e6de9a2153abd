import { describe, expect, it } from 'vitest';
import { balance } from '../../plugins/memory-records/balance.ts';

describe('memory consumer-group balance', () => {
  it('gives every partition to exactly one member, counts differing by at most one', () => {
    for (const members of [1, 2, 3, 5, 8, 40]) {
      const ids = Array.from({ length: members }, (_, i) => `m${i}`);
      const result = balance(32, ids, new Map());
      const all = [...result.values()].flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 32 }, (_, i) => i));
      const sizes = [...result.values()].map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('moves only what must move when a member joins', () => {
    const before = balance(8, ['a'], new Map());
    const after = balance(8, ['a', 'b'], before);
    expect(after.get('a')).toEqual([0, 1, 2, 3]);
    expect(after.get('b')).toEqual([4, 5, 6, 7]);
    const third = balance(8, ['a', 'b', 'c'], after);
    // a and b each keep a subset of what they had.
    expect(third.get('a')!.every((p) => after.get('a')!.includes(p))).toBe(true);
    expect(third.get('b')!.every((p) => after.get('b')!.includes(p))).toBe(true);
  });

  it('hands a leaving member its partitions to those who stay', () => {
    const two = balance(4, ['a', 'b'], new Map());
    const one = balance(4, ['b'], two);
    expect(one.get('b')).toEqual([0, 1, 2, 3]);
  });

  it('leaves members without partitions when there are more members than partitions', () => {
    const result = balance(2, ['a', 'b', 'c'], new Map());
    expect(result.get('c')).toEqual([]);
  });
});
