import fc from 'fast-check';
import { compressSync as rawSnappy } from 'snappy';
import { describe, expect, it } from 'vitest';
import { compressLz4, compressSnappy, decompressLz4, decompressSnappy } from '../../plugins/kafka-records/compression.ts';

/**
 * The codecs the Kafka store reads compressed record batches with. The Java
 * client's own output is checked on the broker (test/kafka/compression.test.ts);
 * here the framing rules: snappy comes xerial-framed (the Java client) or as
 * one raw block (librdkafka), in one or several blocks.
 */
describe('Kafka compression codecs', () => {
  it('snappy: xerial-framed in blocks of 32 KiB, or one raw block, reads back the bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100_000 }), fc.nat({ max: 255 }), (bytes, fill) => {
        // Repetitive data too, as record batches are.
        const data = Buffer.concat([Buffer.from(bytes), Buffer.alloc(bytes.length % 70_000, fill)]);
        const framed = compressSnappy(data);
        expect(framed.subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]));
        expect(decompressSnappy(framed)).toEqual(data);
        expect(decompressSnappy(rawSnappy(data) as Buffer)).toEqual(data);
      }),
      { numRuns: 50 },
    );
  });

  it('snappy: a xerial block cut short is an error, not fewer bytes', () => {
    const framed = compressSnappy(Buffer.alloc(100_000, 7));
    expect(() => decompressSnappy(framed.subarray(0, framed.length - 10))).toThrow(RangeError);
    expect(() => decompressSnappy(framed.subarray(0, 18))).toThrow(RangeError);
  });

  it('lz4: the frame format reads back the bytes', async () => {
    const data = Buffer.from('kafka record batch '.repeat(5_000));
    expect(await decompressLz4(await compressLz4(data))).toEqual(data);
  });
});
