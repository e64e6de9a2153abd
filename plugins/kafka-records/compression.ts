import { decompress as zstdDecompress } from 'fzstd';
import { compressFrame as lz4CompressFrame, decompressFrame as lz4DecompressFrame } from 'lz4-napi';
import { compressSync as snappyCompressSync, uncompressSync as snappyUncompressSync } from 'snappy';

/**
 * Kafka's compression codecs as the Java client writes them, for both
 * drivers: a record batch compressed with a codec the gateway cannot read
 * would stop its partition for good (kafkajs has gzip only; @platformatic/kafka
 * 1.35 reads only raw snappy and, on Node 20, no zstd).
 *
 * Libraries (docs/libraries.md): `snappy` and `lz4-napi` are napi-rs
 * bindings of Rust's snap and lz4_flex, installed as prebuilt binaries from
 * npm (no compiler, no download from elsewhere); zstd decompression is
 * `fzstd`, pure JavaScript, because the maintained native bindings
 * (@mongodb-js/zstd, zstd-napi) fetch their binaries from GitHub at install
 * time or compile zstd, and Node's zlib has zstd from 22.15 on only.
 */

/** The header snappy-java's SnappyOutputStream writes (Kafka's Java client frames snappy batches with it). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, then a version and a minimum compatible version (int32 each). */
const XERIAL_HEADER_BYTES = 16;
/** snappy-java's default block size: a larger input is written as several blocks. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

/**
 * Snappy as Kafka clients write it: xerial-framed (a header, then blocks each
 * behind its int32 length: the Java client, kafkajs-snappy) or one raw block
 * (librdkafka, @platformatic/kafka).
 */
export function decompressSnappy(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return snappyUncompressSync(data) as Buffer;
  }
  const blocks: Buffer[] = [];
  for (let at = XERIAL_HEADER_BYTES; at < data.length; ) {
    if (data.length - at < 4) throw new RangeError('snappy: a xerial block length past the end of the data');
    const length = data.readInt32BE(at);
    const end = at + 4 + length;
    if (length < 0 || end > data.length) throw new RangeError(`snappy: a xerial block of ${length} bytes past the end of the data`);
    blocks.push(snappyUncompressSync(data.subarray(at + 4, end)) as Buffer);
    at = end;
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks);
}

/** Snappy, xerial-framed, as the Java client writes it (and reads it back). */
export function compressSnappy(data: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappyCompressSync(data.subarray(at, at + XERIAL_BLOCK_BYTES));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** LZ4 in the frame format (magic v2 record batches), off the main thread. */
export const decompressLz4 = (data: Buffer): Promise<Buffer> => lz4DecompressFrame(data);
export const compressLz4 = (data: Buffer): Promise<Buffer> => lz4CompressFrame(data);

/** Zstandard frames. */
export function decompressZstd(data: Buffer): Buffer {
  const out = zstdDecompress(data);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}
