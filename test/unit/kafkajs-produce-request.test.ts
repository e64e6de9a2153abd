import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseKafkaConfig } from '../../plugins/kafka-records/config.ts';
import { crc32c } from '../../plugins/kafka-records/drivers/kafkajs/crc32c.ts';
import { kafkajsDriver } from '../../plugins/kafka-records/drivers/kafkajs/index.ts';
import { encodeUncompressedProduceRequest, type ProduceMessage, type ProduceRequestArgs } from '../../plugins/kafka-records/drivers/kafkajs/produce-encoder.ts';
import { produceRequest } from '../../plugins/kafka-records/drivers/kafkajs/produce-request.ts';
import { decodeKafkajsMessages, type KafkajsMessage } from '../../plugins/kafka-records/drivers/kafkajs/record-batches.ts';

/**
 * The gateway's produce request encoder against kafkajs's own: the same bytes
 * for any request, and the records read back as they were given.
 */
const require = createRequire(import.meta.url);
const PRODUCE_V3 = 'kafkajs/src/protocol/requests/produce/v3/request';
type Request = { apiKey: number; apiVersion: number; apiName: string; expectResponse(): boolean; encode(): Promise<{ buffer: Buffer }> };
const kafkajsProduceRequest = require(PRODUCE_V3) as (args: ProduceRequestArgs) => Request;
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (bytes: Buffer) => number;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => KafkajsDecoder;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown };
const { Types } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };
const kafkajsDecodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (decoder: object) => Promise<KafkajsMessage[]>;

interface KafkajsDecoder {
  offset: number;
  readString(): string | null;
  readInt16(): number;
  readInt32(): number;
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `fn` with Date.now() frozen at `now`, so both encoders take the same time. */
async function at<T>(now: number, fn: () => Promise<T>): Promise<T> {
  const spy = vi.spyOn(Date, 'now').mockReturnValue(now);
  try {
    return await fn();
  } finally {
    spy.mockRestore();
  }
}

/** Buffers compared as bytes (vitest's deep equality walks a Buffer index by index, too slow for a property). */
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  if (!actual.equals(expected)) expect(actual.toString('hex')).toBe(expected.toString('hex'));
}

// Strings kafkajs takes for keys, values, header names and values: ASCII, any code point, lone surrogates (written as U+FFFD).
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 2 }),
);
const buffer = fc.oneof(
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 200 }).map(Buffer.from) },
  // A record body past 16 KiB: a 3-byte length varint.
  { weight: 1, arbitrary: fc.integer({ min: 16_384, max: 20_000 }).map((n) => randomBytes(n)) },
);
const field = fc.oneof(fc.constant(null), fc.constant(undefined), buffer, text);
const headerValue = fc.oneof(buffer, text);
// Integer-like names come first in Object.keys order; "__proto__" and "constructor" are plain own keys here.
const headerName = fc.oneof(text, fc.constantFrom('0', '1', '10', '__proto__', 'constructor', 'ce_id'));
const headers = fc.option(
  fc.array(fc.tuple(headerName, fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 }))), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
  { nil: undefined },
);
// Numbers and decimal strings, short and long (kafkajs sorts them as strings: "9" after "10").
const integerTimestamp = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }));
const timestamp = fc.oneof(fc.constant(undefined), fc.constant(null), integerTimestamp, integerTimestamp.map(String));

/** A message with the fields fc gives it (a missing field is absent, not undefined). */
const message = (values: { field: fc.Arbitrary<unknown>; headers: fc.Arbitrary<unknown>; timestamp: fc.Arbitrary<unknown> }) =>
  fc.record({ key: values.field, value: values.field, headers: values.headers, timestamp: values.timestamp }, { requiredKeys: [] }) as fc.Arbitrary<ProduceMessage>;

function request(values: { field: fc.Arbitrary<unknown>; headers: fc.Arbitrary<unknown>; timestamp: fc.Arbitrary<unknown>; compression: fc.Arbitrary<number | undefined> }): fc.Arbitrary<ProduceRequestArgs> {
  const messages = fc.oneof(
    { weight: 9, arbitrary: fc.array(message(values), { maxLength: 12 }) },
    // Offset deltas past 127: 2-byte varints.
    { weight: 1, arbitrary: fc.array(message({ ...values, headers: fc.constant(undefined) }), { minLength: 120, maxLength: 160 }) },
  );
  const partition = fc.record({ partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }), firstSequence: fc.option(fc.nat(), { nil: undefined }), messages });
  const topic = fc.record({ topic: text, partitions: fc.array(partition, { maxLength: 4 }) });
  return fc.record(
    {
      acks: fc.constantFrom(-1, 0, 1),
      timeout: fc.nat(),
      transactionalId: fc.oneof(fc.constant(null), fc.constant(undefined), text),
      producerId: fc.oneof(
        fc.constant(undefined),
        fc.bigInt({ min: -1n, max: 2n ** 62n }).map((id) => Long.fromValue(id)),
        fc.bigInt({ min: -1n, max: 2n ** 62n }).map(String),
        fc.bigInt({ min: -1n, max: 2n ** 62n }),
        fc.integer({ min: -1, max: 2 ** 40 }),
      ),
      producerEpoch: fc.option(fc.integer({ min: -1, max: 32_767 }), { nil: undefined }),
      compression: values.compression,
      topicData: fc.array(topic, { maxLength: 3 }),
    },
    { requiredKeys: ['acks', 'timeout', 'topicData'] },
  );
}

/** The requests kafkajs documents, uncompressed: the gateway's encoder writes every one itself. */
const plainRequest = request({ field, headers, timestamp, compression: fc.constantFrom(undefined, Types.None) });

/** Anything else kafkajs may be given, which the gateway's encoder hands back to kafkajs's. */
const anyRequest = request({
  field: fc.oneof({ weight: 8, arbitrary: field }, { weight: 1, arbitrary: fc.constantFrom<unknown>(7, new Uint8Array([1, 2]), {}, true) }),
  headers: fc.oneof(
    { weight: 8, arbitrary: headers },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'ab', { a: null }, { a: [Buffer.from('x'), null] }, { a: undefined }, { a: 3 }) },
  ),
  timestamp: fc.oneof(
    { weight: 8, arbitrary: timestamp },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(Number.NaN, 1.5, '', '1e3', 'abc', ' 12', '+5', 2 ** 60, 12n, '99999999999999999999') },
  ),
  compression: fc.constantFrom(undefined, Types.None, Types.None, Types.GZIP),
});

const FEATURES = [
  'timestamps sorted as strings',
  'timestamps as strings',
  'negative timestamp delta',
  'repeated header',
  'string key or value',
  'null key or value',
  '2-byte offset delta',
  '3-byte record length',
  'transactional',
  'no messages',
] as const;

/** Which of FEATURES a request has: each must turn up in the runs of the property. */
function features(args: ProduceRequestArgs): Set<(typeof FEATURES)[number]> {
  const found = new Set<(typeof FEATURES)[number]>();
  if (args.transactionalId) found.add('transactional');
  for (const { messages } of args.topicData.flatMap((t) => t.partitions)) {
    if (messages.length === 0) found.add('no messages');
    if (messages.length > 128) found.add('2-byte offset delta');
    const timestamps = messages.map((m) => m.timestamp).filter((t) => t != null);
    if (timestamps.some((t) => typeof t === 'string')) found.add('timestamps as strings');
    const numeric = timestamps.map(Number).sort((a, b) => a - b);
    if (timestamps.length > 0 && Number([...timestamps].sort()[0]) !== numeric[0]) found.add('timestamps sorted as strings');
    if (timestamps.length > 0 && messages.some((m) => Number(m.timestamp || 0) < Number([...timestamps].sort()[0]))) found.add('negative timestamp delta');
    for (const m of messages) {
      if (typeof m.key === 'string' || typeof m.value === 'string') found.add('string key or value');
      if (m.key == null || m.value == null) found.add('null key or value');
      if (Buffer.isBuffer(m.value) && m.value.length > 16_384) found.add('3-byte record length');
      if (Object.values(m.headers ?? {}).some((v) => Array.isArray(v) && v.length > 1)) found.add('repeated header');
    }
  }
  return found;
}

async function outcome(request: Request): Promise<{ bytes: string } | { error: true }> {
  try {
    return { bytes: (await request.encode()).buffer.toString('hex') };
  } catch {
    return { error: true };
  }
}

/** The request's record batches, one per partition, read back with a fetch response's decoder. */
async function decodeBatches(bytes: Buffer, decode: (decoder: KafkajsDecoder) => Promise<KafkajsMessage[]>): Promise<KafkajsMessage[][]> {
  const decoder = new Decoder(bytes);
  decoder.readString();
  decoder.readInt16();
  decoder.readInt32();
  const batches: KafkajsMessage[][] = [];
  for (let topics = decoder.readInt32(); topics > 0; topics--) {
    decoder.readString();
    for (let partitions = decoder.readInt32(); partitions > 0; partitions--) {
      decoder.readInt32();
      batches.push(await decode(decoder));
    }
  }
  expect(decoder.offset).toBe(bytes.length);
  return batches;
}

const hex = (bytes: Buffer | null) => (bytes === null ? null : bytes.toString('hex'));
const hexHeaders = (headers: KafkajsMessage['headers']) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.map(hex) : hex(value)]));

/** What each record of the request should read back as (bytes in hex; headers of one name, as the decoders merge them, in an array). */
function expectedRecords(args: ProduceRequestArgs, now: number) {
  const bytes = (v: unknown) => (v == null ? null : Buffer.from(v as Buffer | string).toString('hex'));
  return args.topicData.flatMap(({ partitions }) =>
    partitions.map(({ messages }) =>
      messages.map((m, i) => {
        const headers: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(m.headers ?? {})) {
          // A name is read back as its UTF-8 bytes decode (a lone surrogate as U+FFFD): names may merge.
          const read = Buffer.from(name).toString();
          for (const item of Array.isArray(value) ? value : [value]) {
            const existing = Object.prototype.hasOwnProperty.call(headers, read) ? headers[read] : undefined;
            const next = existing === undefined ? bytes(item) : Array.isArray(existing) ? [...existing, bytes(item)] : [existing, bytes(item)];
            Object.defineProperty(headers, read, { value: next, enumerable: true, writable: true, configurable: true });
          }
        }
        return { offset: String(i), timestamp: String(Number(m.timestamp || now)), key: bytes(m.key), value: bytes(m.value), headers };
      }),
    ),
  );
}

/** Every batch's CRC, as kafkajs computes it over the batch from its attributes on. */
function checkCrcs(bytes: Buffer): void {
  const decoder = new Decoder(bytes);
  decoder.readString();
  decoder.readInt16();
  decoder.readInt32();
  for (let topics = decoder.readInt32(); topics > 0; topics--) {
    decoder.readString();
    for (let partitions = decoder.readInt32(); partitions > 0; partitions--) {
      decoder.readInt32();
      const size = decoder.readInt32();
      const batch = bytes.subarray(decoder.offset, decoder.offset + size);
      expect(batch.readUInt32BE(17)).toBe(kafkajsCrc32c(batch.subarray(21)));
      decoder.offset += size;
    }
  }
}

describe('kafkajs produce requests: the gateway encoder writes what kafkajs writes', () => {
  it('any uncompressed request kafkajs documents: written by the gateway encoder, byte for byte kafkajs\'s (property)', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(plainRequest, fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }), (args, now) =>
        at(now, async () => {
          for (const feature of features(args)) seen.add(feature);
          const expected = (await kafkajsProduceRequest(args).encode()).buffer;
          const ours = encodeUncompressedProduceRequest(args);
          expect(ours).not.toBeNull();
          expectSameBytes(ours!.buf.subarray(0, ours!.offset), expected);
          expectSameBytes((await produceRequest(args).encode()).buffer, expected);
        }),
      ),
      { numRuns: 400 },
    );
    expect([...seen].sort()).toEqual([...FEATURES].sort());
  });

  it('reads back as given: keys, values, headers, timestamps, offsets, CRCs (property)', async () => {
    await fc.assert(
      fc.asyncProperty(plainRequest, fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }), async (args, now) => {
        const bytes = (await at(now, () => produceRequest(args).encode())).buffer;
        checkCrcs(bytes);
        const ours = await decodeBatches(bytes, (d) => decodeKafkajsMessages(d as never) as Promise<KafkajsMessage[]>);
        const pick = (batches: KafkajsMessage[][]) =>
          batches.map((b) => b.map(({ offset, timestamp, key, value, headers }) => ({ offset, timestamp, key: hex(key), value: hex(value), headers: hexHeaders(headers) })));
        expect(pick(ours)).toEqual(expectedRecords(args, now));
        // kafkajs's own decoder agrees but for headers (it misreads inherited names such as "constructor").
        const theirs = await decodeBatches(bytes, kafkajsDecodeMessages);
        const withoutHeaders = (batches: KafkajsMessage[][]) => pick(batches).map((b) => b.map(({ headers: _, ...rest }) => rest));
        expect(withoutHeaders(theirs)).toEqual(withoutHeaders(ours));
      }),
      { numRuns: 200 },
    );
  });

  it('any request at all, compressed or with values kafkajs does not document: kafkajs\'s bytes, or a failure where kafkajs fails (property)', async () => {
    const seen = { failed: 0, compressed: 0, handedBack: 0 };
    await fc.assert(
      fc.asyncProperty(anyRequest, fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }), (args, now) =>
        at(now, async () => {
          const ours = produceRequest(args);
          const theirs = kafkajsProduceRequest(args);
          const expected = await outcome(theirs);
          expect(await outcome(ours)).toEqual(expected);
          expect([ours.apiKey, ours.apiVersion, ours.apiName, ours.expectResponse()]).toEqual([theirs.apiKey, theirs.apiVersion, theirs.apiName, theirs.expectResponse()]);
          if ('error' in expected) seen.failed++;
          else if (args.compression === Types.GZIP) seen.compressed++;
          else if ((args.compression ?? Types.None) === Types.None && encodeUncompressedProduceRequest(args) === null) seen.handedBack++;
        }),
      ),
      { numRuns: 400 },
    );
    // Each way out turned up: kafkajs failing, gzip, and undocumented values kafkajs still encodes.
    expect(Object.values(seen).every((n) => n > 0)).toBe(true);
  });

  it('fails as kafkajs fails on a null header value, a number for a key, a timestamp that is no integer', async () => {
    const base = { acks: -1, timeout: 1000, topicData: [] as ProduceRequestArgs['topicData'] };
    const cases: ProduceMessage[] = [{ value: Buffer.from('v'), headers: { a: null } }, { key: 7, value: null }, { value: null, timestamp: '1.5' }];
    for (const m of cases) {
      const args = { ...base, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [m] }] }] };
      expect(encodeUncompressedProduceRequest(args)).toBeNull();
      const expected = await kafkajsProduceRequest(args).encode().catch((err: Error) => err.message);
      expect(typeof expected).toBe('string');
      await expect(produceRequest(args).encode()).rejects.toThrow(expected as string);
    }
  });

  it('takes the time once per partition, as kafkajs does', async () => {
    const args: ProduceRequestArgs = {
      acks: -1,
      timeout: 1000,
      topicData: [{ topic: 't', partitions: [0, 1, 2].map((partition) => ({ partition, messages: [{ value: Buffer.from('v') }, { value: null, timestamp: partition === 1 ? '5' : undefined }] })) }],
    };
    const clock = () => {
      let now = 1_700_000_000_000;
      return () => (now += 1000);
    };
    vi.spyOn(Date, 'now').mockImplementation(clock());
    const expected = (await kafkajsProduceRequest(args).encode()).buffer;
    vi.spyOn(Date, 'now').mockImplementation(clock());
    expect((await produceRequest(args).encode()).buffer).toEqual(expected);
  });

  it('CRC-32C: kafkajs\'s checksum of any bytes, from any offset to any end (property)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (array, a, b) => {
        const bytes = Buffer.from(array);
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        expect(crc32c(bytes, start, end)).toBe(kafkajsCrc32c(bytes.subarray(start, end)));
      }),
      { numRuns: 1000 },
    );
  });

  it('the kafkajs driver puts it in place of kafkajs\'s unless KAFKA_KAFKAJS_PRODUCE_ENCODER=kafkajs, where every produce version finds it', async () => {
    const path = require.resolve(PRODUCE_V3);
    const config = { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092' };
    kafkajsDriver(parseKafkaConfig({ ...config, KAFKA_KAFKAJS_PRODUCE_ENCODER: 'kafkajs' }), pino({ level: 'silent' }));
    expect(require.cache[path]!.exports).toBe(kafkajsProduceRequest);
    kafkajsDriver(parseKafkaConfig(config), pino({ level: 'silent' }));
    expect(require.cache[path]!.exports).toBe(produceRequest);
    // The later versions load afterwards (on a producer's first send) and take v3 from the cache.
    const { protocol } = require('kafkajs/src/protocol/requests/produce') as { protocol(v: { version: number }): (args: ProduceRequestArgs) => { request: Request } };
    const args: ProduceRequestArgs = { acks: -1, timeout: 1000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: Buffer.from('v') }] }] }] };
    for (const version of [3, 4, 5, 6, 7]) {
      const { request } = protocol({ version })(args);
      expect(request.apiVersion).toBe(version);
      expect(request.encode.toString()).toContain('encodeUncompressedProduceRequest');
    }
  });

  it('is not installed, and says why, once kafkajs has loaded a later produce version', () => {
    const script = [
      "import { createRequire } from 'node:module';",
      "createRequire(import.meta.url)('kafkajs/src/protocol/requests/produce/v7/request');",
      "const { installKafkajsProduceRequest } = await import('./plugins/kafka-records/drivers/kafkajs/produce-request.ts');",
      'console.log(JSON.stringify(installKafkajsProduceRequest()));',
    ].join('\n');
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
    // v7 loads v6 and v5, which keeps kafkajs's v3.
    expect(JSON.parse(output)).toEqual({ installed: false, reason: 'kafkajs produced before it was installed (3 later produce request versions loaded)' });
  });
});
