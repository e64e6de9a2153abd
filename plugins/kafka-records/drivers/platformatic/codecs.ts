import { compressionsAlgorithms } from '@platformatic/kafka';
import { decompressSnappy, decompressZstd } from '../../compression.ts';

interface Algorithm {
  decompressSync(data: Buffer): Buffer;
}

/**
 * Fills @platformatic/kafka 1.35's gaps in reading compressed record
 * batches: its snappy reads raw blocks only (a batch from the Java client,
 * xerial-framed, failed with a WebAssembly "unreachable" trap), and its zstd
 * needs Node 22.15's zlib (on Node 20 every zstd batch failed). Its table of
 * codecs is exported and shared by bitmask, so the two decompressors are
 * replaced in place; compressing is left as it is (the gateway never
 * compresses what it publishes).
 */
export function installPlatformaticCodecs(): void {
  const algorithms = compressionsAlgorithms as unknown as Record<'snappy' | 'zstd', Algorithm>;
  algorithms.snappy.decompressSync = (data) => decompressSnappy(data);
  algorithms.zstd.decompressSync = (data) => decompressZstd(data);
}
