import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePublishBatchRequest, decodePublishRequest } from '../../src/grpc/decoding.ts';
import { liiklusService, loadPackageDefinition } from '../../src/grpc/proto.ts';

// The reference: the deserializers @grpc/proto-loader made from the proto (protobufjs decode + toObject with
// LOADER_OPTIONS), which the server used before the hand-written decoder. Requests are written here byte by
// byte, so that they can hold what protobufjs's encoder never writes: fields out of order or repeated, unknown
// fields of every wire type (groups too), wire types that do not match the field, invalid UTF-8, truncations.
const service = liiklusService(loadPackageDefinition());
const reference = {
  Publish: (bytes: Buffer) => service.Publish!.requestDeserialize(bytes),
  PublishBatch: (bytes: Buffer) => service.PublishBatch!.requestDeserialize(bytes),
};

// --- writing protobuf by hand -------------------------------------------------------------------------

const varint = (n: number | bigint): Buffer => {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
};
const tag = (field: number, wire: number) => varint(BigInt(field) * 8n + BigInt(wire));
const lenField = (field: number, payload: Uint8Array) => Buffer.concat([tag(field, 2), varint(payload.length), payload]);

/** Text as UTF-8, or raw bytes (invalid UTF-8 included). */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).map((s) => Buffer.from(s, 'utf8')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) },
);
/** Bytes, now and then large. */
const bytes = fc.oneof(
  { weight: 10, arbitrary: fc.uint8Array({ maxLength: 16 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }).map((n) => Buffer.alloc(n, n & 0xff)) },
);
/** Few topics, so that records share them (the decoder reuses a topic equal to the previous one). */
const topic = fc.oneof(fc.constantFrom('orders', 'orders', 'payments', 'ordert', 'order', ''), text).map((t) => Buffer.from(t));
/** Names where objects differ from maps: __proto__, integer-like keys (ordered first), empty, duplicates. */
const mapKey = fc.oneof(fc.constantFrom('__proto__', '1', '0', '10', 'a', 'b', ''), text).map((t) => Buffer.from(t));

/** An unknown field of any wire type, its number anything (known numbers included, with other wire types). */
const unknownField: fc.Arbitrary<Buffer> = fc.letrec<{ field: Buffer }>((tie) => ({
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.integer({ min: 0, max: 2 ** 29 - 1 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([f, v]) => Buffer.concat([tag(f, 0), varint(v)])),
    fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([f, b]) => Buffer.concat([tag(f, 1), b])),
    fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.uint8Array({ maxLength: 10 })).map(([f, b]) => lenField(f, b)),
    fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([f, b]) => Buffer.concat([tag(f, 5), b])),
    // A group: start, fields, end (protobufjs reads past the end group's field number).
    fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.array(tie('field'), { maxLength: 3 }), fc.integer({ min: 0, max: 2000 })).map(([f, inner, e]) =>
      Buffer.concat([tag(f, 3), ...inner, tag(e, 4)]),
    ),
  ),
})).field;
const unknownFields = (known: number[]) => unknownField.filter((b) => !known.includes(Number(varintValue(b) >> 3n)));
const varintValue = (b: Buffer): bigint => {
  let v = 0n;
  for (let i = 0, shift = 0n; i < b.length; i++, shift += 7n) {
    v |= BigInt(b[i]! & 0x7f) << shift;
    if (b[i]! < 0x80) break;
  }
  return v;
};

const entry = (value: fc.Arbitrary<Buffer>) =>
  fc
    .tuple(fc.option(mapKey, { nil: undefined }), fc.option(value, { nil: undefined }), fc.array(unknownFields([1, 2]), { maxLength: 1 }), fc.boolean())
    .map(([k, v, unknown, valueFirst]) => {
      const parts = [k === undefined ? [] : [lenField(1, k)], v === undefined ? [] : [lenField(2, v)]];
      if (valueFirst) parts.reverse();
      return Buffer.concat([...parts.flat(), ...unknown]);
    });

/** The fields of a message in any order, each maybe more than once, unknown ones among them. */
const fields = (...arbitraries: fc.Arbitrary<Buffer>[]) => fc.array(fc.oneof(...arbitraries), { maxLength: 9 }).map((parts) => Buffer.concat(parts));

/** A known field with another wire type than its own (protobufjs reads it as its own type regardless). */
const mismatched = (known: number[]) =>
  fc.tuple(fc.constantFrom(...known), fc.constantFrom(0, 1, 3, 5), fc.uint8Array({ maxLength: 6 })).map(([f, wire, payload]) => Buffer.concat([tag(f, wire), payload]));

const liiklusEventOf = (...extra: fc.Arbitrary<Buffer>[]) =>
  fields(
    text.map((t) => lenField(1, t)),
    text.map((t) => lenField(2, t)),
    text.map((t) => lenField(3, t)),
    text.map((t) => lenField(5, t)),
    text.map((t) => lenField(100, t)),
    bytes.map((b) => lenField(101, b)),
    entry(text).map((e) => lenField(200, e)),
    unknownFields([1, 2, 3, 5, 100, 101, 200]),
    ...extra,
  );

const publishRequestOf = (event: fc.Arbitrary<Buffer>, ...extra: fc.Arbitrary<Buffer>[]) =>
  fields(
    topic.map((t) => lenField(1, t)),
    bytes.map((b) => lenField(2, b)),
    bytes.map((b) => lenField(3, b)),
    event.map((e) => lenField(4, e)),
    entry(bytes.map((b) => Buffer.from(b))).map((e) => lenField(1000, e)),
    unknownFields([1, 2, 3, 4, 1000]),
    ...extra,
  );
const publishRequest = publishRequestOf(liiklusEventOf());

const batchOf = (record: fc.Arbitrary<Buffer>, ...extra: fc.Arbitrary<Buffer>[]) =>
  fc
    .array(fc.oneof({ weight: 6, arbitrary: record.map((r) => lenField(1, r)) }, { weight: 1, arbitrary: unknownFields([1]) }, ...extra), { maxLength: 12 })
    .map((parts) => Buffer.concat(parts));
const publishBatchRequest = batchOf(publishRequest);
/** Batches that may not parse: known fields (of the batch, records, events) with other wire types than their own. */
const looseBatchRequest = batchOf(publishRequestOf(liiklusEventOf(mismatched([1, 2, 3, 5, 100, 101, 200])), mismatched([1, 2, 3, 4, 1000])), mismatched([1]));

// --- comparing --------------------------------------------------------------------------------------

/**
 * A decoded request as nested [name, value] lists in property order, Buffers as hex: equal output means
 * equal values, equal property order (header order is Kafka header order) and Buffers where protobufjs
 * has Buffers. The one difference allowed: a header entry without a value, which protobufjs decodes as an
 * empty array (not bytes) and the hand-written decoder as an empty Buffer.
 */
function normalized(request: unknown, path = ''): unknown {
  if (Buffer.isBuffer(request)) return `bytes:${request.toString('hex')}`;
  if (Array.isArray(request)) {
    if (request.length === 0 && /^\.records\[\d+\]\.headers\./.test(path)) return 'bytes:';
    return request.map((item, i) => normalized(item, `${path}[${i}]`));
  }
  if (request !== null && typeof request === 'object') {
    if (request instanceof Uint8Array) throw new Error(`${path}: a Uint8Array that is not a Buffer`);
    return Object.keys(request).map((key) => [key, normalized((request as Record<string, unknown>)[key], `${path}.${key}`)]);
  }
  return request;
}

/** Both decoders' results for `bytes`, or the fact that each threw. */
function outcomes(bytes: Buffer, method: 'Publish' | 'PublishBatch') {
  const run = (decode: (b: Buffer) => unknown) => {
    try {
      const decoded = decode(bytes);
      return { ok: normalized(method === 'Publish' ? { records: [decoded] } : decoded) };
    } catch {
      return { threw: true };
    }
  };
  return { ours: run(method === 'Publish' ? decodePublishRequest : decodePublishBatchRequest), protobufjs: run(reference[method]) };
}

const runs = Number(process.env.DECODING_RUNS ?? 400);

describe('hand-written decoding of PublishRequest / PublishBatchRequest', () => {
  it('random batches read as protobufjs reads them', () => {
    fc.assert(
      fc.property(publishBatchRequest, (bytes) => {
        const { ours, protobufjs } = outcomes(bytes, 'PublishBatch');
        expect(protobufjs).toHaveProperty('ok');
        expect(ours).toEqual(protobufjs);
      }),
      { numRuns: runs },
    );
  });

  it('random single requests (Publish) read as protobufjs reads them', () => {
    fc.assert(
      fc.property(publishRequest, (bytes) => {
        const { ours, protobufjs } = outcomes(bytes, 'Publish');
        expect(protobufjs).toHaveProperty('ok');
        expect(ours).toEqual(protobufjs);
      }),
      { numRuns: runs },
    );
  });

  it('truncated and corrupted requests: both decoders fail, or both read the same', () => {
    const damaged = fc
      .tuple(looseBatchRequest, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.boolean())
      .filter(([bytes]) => bytes.length > 0)
      .map(([bytes, cut, flips, truncate]) => {
        const copy = Buffer.from(truncate ? bytes.subarray(0, cut % bytes.length) : bytes);
        for (const [at, value] of flips) if (copy.length > 0) copy[at % copy.length] = value;
        return copy;
      });
    let threw = 0;
    fc.assert(
      fc.property(damaged, (bytes) => {
        const { ours, protobufjs } = outcomes(bytes, 'PublishBatch');
        if ('threw' in protobufjs) threw++;
        expect(ours).toEqual(protobufjs);
      }),
      { numRuns: runs * 2 },
    );
    // The property must have met malformed requests, not only ones that still parse.
    expect(threw).toBeGreaterThan(runs / 10);
  });

  it('the empty request, absent fields and empty fields', () => {
    for (const bytes of [Buffer.alloc(0), lenField(1, Buffer.alloc(0)), Buffer.concat([lenField(1, lenField(1, Buffer.alloc(0))), lenField(1, lenField(2, Buffer.alloc(0)))])]) {
      const { ours, protobufjs } = outcomes(bytes, 'PublishBatch');
      expect(ours).toEqual(protobufjs);
    }
    const [record] = decodePublishBatchRequest(lenField(1, Buffer.alloc(0))).records;
    expect(record).toEqual({ headers: {}, topic: '', key: Buffer.alloc(0), value: Buffer.alloc(0) });
  });

  it('a header entry without a value is an empty Buffer (protobufjs: an empty array)', () => {
    const bytes = lenField(1, lenField(1000, lenField(1, Buffer.from('h'))));
    expect(service.PublishBatch!.requestDeserialize(bytes)).toMatchObject({ records: [{ headers: { h: [] } }] });
    expect(decodePublishBatchRequest(bytes).records[0]!.headers.h).toEqual(Buffer.alloc(0));
    expect(Buffer.isBuffer(decodePublishBatchRequest(bytes).records[0]!.headers.h)).toBe(true);
  });

  it('__proto__ as a header name is an own header, not the prototype', () => {
    const bytes = lenField(1, lenField(1000, Buffer.concat([lenField(1, Buffer.from('__proto__')), lenField(2, Buffer.from('x'))])));
    const { headers } = decodePublishBatchRequest(bytes).records[0]!;
    expect(Object.keys(headers)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(outcomes(bytes, 'PublishBatch').ours).toEqual(outcomes(bytes, 'PublishBatch').protobufjs);
  });

  it('groups nested to protobufjs recursion limit and one past it', () => {
    const nested = (depth: number) => Buffer.concat([...Array.from({ length: depth }, () => tag(7, 3)), ...Array.from({ length: depth }, () => tag(7, 4))]);
    for (const depth of [100, 101, 102, 103]) {
      for (const bytes of [nested(depth), lenField(1, nested(depth))]) {
        const { ours, protobufjs } = outcomes(bytes, 'PublishBatch');
        expect(ours).toEqual(protobufjs);
      }
    }
    expect(outcomes(nested(102), 'PublishBatch').protobufjs).toEqual({ threw: true });
  });

  it('a 10-byte varint length, a length past the end, a string cut at its message end, a group left open', () => {
    const cases = [
      Buffer.concat([tag(1, 2), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])]),
      Buffer.concat([tag(1, 2), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])]),
      Buffer.concat([tag(1, 2), Buffer.from([0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), lenField(2, Buffer.from('k'))]),
      lenField(1, Buffer.concat([tag(1, 2), varint(50), Buffer.from('short')])),
      lenField(1, Buffer.concat([tag(2, 2), varint(50), Buffer.from('short')])),
      Buffer.concat([tag(1, 0), varint(3), lenField(1, Buffer.from('t'))]),
      // A group without its end, at the end of a record and of the request.
      lenField(1, Buffer.concat([lenField(1, Buffer.from('t')), tag(7, 3), tag(8, 0), varint(1)])),
      Buffer.concat([lenField(1, lenField(1, Buffer.from('t'))), tag(7, 3)]),
    ];
    for (const bytes of cases) expect(outcomes(bytes, 'PublishBatch').ours).toEqual(outcomes(bytes, 'PublishBatch').protobufjs);
    expect(decodePublishBatchRequest(cases[3]!).records[0]!.topic).toBe('short');
  });

  it('records with the same topic bytes share one string; other bytes get their own', () => {
    const record = (t: string) => lenField(1, lenField(1, Buffer.from(t)));
    const { records } = decodePublishBatchRequest(Buffer.concat([record('orders'), record('orders'), record('ordert'), record('orders')]));
    expect(records.map((r) => r.topic)).toEqual(['orders', 'orders', 'ordert', 'orders']);
  });
});
