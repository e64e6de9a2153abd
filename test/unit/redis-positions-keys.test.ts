import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PREFIX,
  decodeName,
  encodeName,
  groupKey,
  parseField,
  parseGroupKey,
  parseOffset,
  positionField,
  scanPattern,
} from '../../plugins/redis-positions/keys.ts';

describe('redis positions key layout', () => {
  it('leaves valid topic names readable and hash-tags the (topic, group) pair', () => {
    expect(groupKey(DEFAULT_PREFIX, 'orders.v1_x-y', 'billing')).toBe('sluice:positions:{orders.v1_x-y:billing}');
  });

  it('encodes separators, braces, percent, glob characters and non-ASCII', () => {
    expect(encodeName('a:b{c}d%e*f?g[h]\\ i')).toBe('a%3Ab%7Bc%7Dd%25e%2Af%3Fg%5Bh%5D%5C%20i');
    expect(encodeName('grüppe')).toBe('gr%C3%BCppe');
    for (const name of ['a:b{c}d%e*f?g[h]\\ i', 'grüppe ✓ 😀', '', '%', '%25', '-v2']) {
      expect(decodeName(encodeName(name))).toBe(name);
    }
  });

  it('never maps two (topic, group) pairs to one key', () => {
    const pairs: Array<[string, string]> = [
      ['a', 'b:c'],
      ['a:b', 'c'],
      ['a', 'b%3Ac'],
      ['a{', 'b'],
      ['a', '{b'],
      ['a}', 'b'],
    ];
    const keys = pairs.map(([t, g]) => groupKey(DEFAULT_PREFIX, t, g));
    expect(new Set(keys).size).toBe(pairs.length);
    for (const [i, key] of keys.entries()) {
      // Exactly one hash tag, holding exactly one ':'.
      const tag = key.slice(key.indexOf('{') + 1, key.indexOf('}'));
      expect(key.indexOf('}')).toBe(key.length - 1);
      expect(tag.split(':')).toHaveLength(2);
      expect(parseGroupKey(DEFAULT_PREFIX, key)).toEqual({ topic: pairs[i]![0], groupName: pairs[i]![1] });
    }
  });

  it('ignores keys of any other layout', () => {
    for (const key of ['sluice:positions:x', 'sluice:positions:{a:b:c}', 'sluice:positions:{ab}', 'other:{a:b}', 'sluice:positions:{a%zz:b}', 'sluice:positions:{a:b}x']) {
      expect(parseGroupKey(DEFAULT_PREFIX, key)).toBeUndefined();
    }
  });

  it('escapes glob characters of the prefix in the SCAN pattern', () => {
    expect(scanPattern(DEFAULT_PREFIX)).toBe('sluice:positions:{*}');
    expect(scanPattern('p*[x]?:')).toBe('p\\*\\[x\\]\\?:{*}');
  });

  it('parses fields and offsets strictly', () => {
    expect(positionField(4294967295, 0)).toBe('4294967295:0');
    expect(parseField('4294967295:0')).toEqual({ version: 4294967295, partition: 0 });
    for (const bad of ['1', '01:2', '1:2:3', '-1:2', 'a:b', '1:']) expect(parseField(bad)).toBeUndefined();
    expect(parseOffset('18446744073709551615')).toBe(2n ** 64n - 1n);
    for (const bad of ['', '-1', '01', '1.5', '1e3']) expect(parseOffset(bad)).toBeUndefined();
  });
});
