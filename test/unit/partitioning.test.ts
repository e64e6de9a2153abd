import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../src/contracts/index.ts';
import { JAVA_MURMUR2 as VECTORS } from '../fixtures/murmur2-vectors.ts';


describe("Kafka's murmur2 partitioning", () => {
  it.each(VECTORS)('murmur2(%s) = %i as in Kafka', (input, expected) => {
    expect(murmur2(new TextEncoder().encode(input))).toBe(expected);
  });
  it('maps a key to a partition in range, deterministically', () => {
    const key = new TextEncoder().encode('user-42');
    const p = partitionForKey(key, 32);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(32);
    expect(partitionForKey(key, 32)).toBe(p);
  });
});
