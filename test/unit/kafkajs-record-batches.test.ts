import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { parseKafkaConfig } from '../../plugins/kafka-records/config.ts';
import { kafkajsDriver } from '../../plugins/kafka-records/drivers/kafkajs/index.ts';
import { decodeKafkajsMessages } from '../../plugins/kafka-records/drivers/kafkajs/record-batches.ts';
import { batch, encode, messages } from '../support/record-batches.ts';

/**
 * The gateway's record batch decoder against kafkajs's own, on record batches
 * kafkajs's own encoder writes: the same messages, field for field.
 */
const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => object;
const kafkajsDecodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (decoder: object) => Promise<unknown[]>;

describe('kafkajs record batches: the gateway decoder reads what kafkajs reads', () => {
  it('any batches kafkajs writes, compressed or not, flagged or not, the last one cut off or not (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 4 }), fc.nat({ max: 300 }), async (batches, cut) => {
        const buffer = messages(await Promise.all(batches.map(encode)), cut);
        const expected = await kafkajsDecodeMessages(new Decoder(buffer)).catch((err: Error) => err);
        const actual = await decodeKafkajsMessages(new Decoder(buffer) as never);
        // kafkajs reads past the end of a response cut off before the first batch's magic byte; the gateway's decoder finds no messages there.
        if (expected instanceof Error) expect([expected.message, actual]).toEqual(['Attempt to access memory outside buffer bounds', []]);
        else expect(actual).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('offsets past 2^53 and timestamp deltas past 2^49 are exact', async () => {
    const buffer = messages(
      [
        await encode({
          records: [{ key: null, value: Buffer.from('a'), timestampDelta: 2 ** 50 + 1, headers: {} }, { key: null, value: null, timestampDelta: -(2 ** 50) - 3, headers: {} }],
          firstOffset: 2n ** 63n - 10n,
          firstTimestamp: 1,
          gzip: false,
          transactional: false,
          logAppendTime: false,
          control: false,
          producerId: -1n,
        }),
      ],
      0,
    );
    const actual = (await decodeKafkajsMessages(new Decoder(buffer) as never)) as { offset: string; timestamp: string }[];
    expect(actual.map((m) => [m.offset, m.timestamp])).toEqual([
      [String(2n ** 63n - 10n), String(2n ** 50n + 2n)],
      [String(2n ** 63n - 9n), String(-(2n ** 50n) - 2n)],
    ]);
    expect(actual).toEqual(await kafkajsDecodeMessages(new Decoder(buffer)));
  });

  it('an empty or absent message set is no messages', async () => {
    for (const size of [0, -1]) {
      const buffer = Buffer.alloc(4);
      buffer.writeInt32BE(size);
      expect(await decodeKafkajsMessages(new Decoder(buffer) as never)).toEqual([]);
    }
  });

  it('a record whose length runs past its batch fails, naming what is wrong', async () => {
    const buffer = messages([await encode({ records: [{ key: null, value: Buffer.from('abc'), timestampDelta: 0, headers: {} }], firstOffset: 0n, firstTimestamp: 0, gzip: false, transactional: false, logAppendTime: false, control: false, producerId: -1n })], 0);
    // The first record's length varint (after the 4-byte size, 12-byte batch prefix and 49-byte header): far too long.
    buffer[4 + 12 + 49] = 0x7e;
    await expect(decodeKafkajsMessages(new Decoder(buffer) as never)).rejects.toThrow(/past the end of its batch/);
  });

  it('the kafkajs driver puts it in place of kafkajs\'s, where every fetch response version finds it', () => {
    const path = require.resolve('kafkajs/src/protocol/requests/fetch/v4/decodeMessages');
    expect(require.cache[path]!.exports).toBe(kafkajsDecodeMessages);
    kafkajsDriver(parseKafkaConfig({ KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092' }), pino({ level: 'silent' }));
    expect(require.cache[path]!.exports).toBe(decodeKafkajsMessages);
    // The response decoders load afterwards (on a consumer's first fetch) and require the module from the cache.
    require('kafkajs/src/protocol/requests/fetch/v11/response');
    expect(require.cache[path]!.exports).toBe(decodeKafkajsMessages);
  });
});
