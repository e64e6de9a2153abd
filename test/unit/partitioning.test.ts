import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../src/contracts/index.ts';

// Vectors from Apache Kafka's UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
const VECTORS: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

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
