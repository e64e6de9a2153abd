import kafkajs from 'kafkajs';
import { compressLz4, compressSnappy, decompressLz4, decompressSnappy, decompressZstd } from '../../compression.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * Registers snappy, LZ4 and zstd with kafkajs (which ships gzip only and
 * fails a fetch holding any other codec, so the partition stops). kafkajs's
 * own extension point: CompressionCodecs is global to kafkajs, so other
 * kafkajs clients in the process can read these codecs too. The gateway
 * never compresses what it publishes; zstd is read only.
 */
export function installKafkajsCodecs(): void {
  const codecs = CompressionCodecs as unknown as Record<number, () => KafkajsCodec>;
  const snappy: KafkajsCodec = {
    compress: async (encoder) => compressSnappy(encoder.buffer),
    decompress: async (buffer) => decompressSnappy(buffer),
  };
  const lz4: KafkajsCodec = {
    compress: (encoder) => compressLz4(encoder.buffer),
    decompress: (buffer) => decompressLz4(buffer),
  };
  const zstd: KafkajsCodec = {
    compress: () => Promise.reject(new Error('zstd: the gateway reads zstd record batches but does not write them')),
    decompress: async (buffer) => decompressZstd(buffer),
  };
  codecs[CompressionTypes.Snappy] = () => snappy;
  codecs[CompressionTypes.LZ4] = () => lz4;
  codecs[CompressionTypes.ZSTD] = () => zstd;
}
