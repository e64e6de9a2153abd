import { createRequire } from 'node:module';
import { kafkajsVersionMismatch, type Installation } from './kafkajs-version.ts';
import { encodeUncompressedProduceRequest, type KafkajsEncoder, type ProduceRequestArgs } from './produce-encoder.ts';

/**
 * A faster encoder of kafkajs's produce requests, in place of kafkajs's
 * `protocol/requests/produce/v3/request.js`, which every produce version
 * kafkajs speaks from v3 on (v4 to v7) calls. It writes the same bytes
 * (test/unit/kafkajs-produce-request.test.ts checks them byte for byte against
 * kafkajs's on random requests) without kafkajs's per-record costs: an
 * Encoder, an array and a Buffer per varint, an object and an Encoder per
 * header, 64-bit zigzag arithmetic through its BigInt-backed Long, a copy of
 * every record into its batch and of the batch into the request, and a CRC
 * one table lookup per byte. Here a request is sized first, then written into
 * one Buffer, and the CRC is computed 8 bytes per step (crc32c.ts).
 *
 * Only uncompressed requests of the shapes kafkajs documents are encoded here:
 * keys and values that are Buffers, strings or null, header values that are
 * Buffers or strings (or arrays of them), timestamps that are integers (as
 * numbers or decimal strings). Anything else (a compression codec, a header
 * value of null, which kafkajs 2.2.4 rejects) goes to kafkajs's own encoder,
 * so kafkajs's behaviour, errors included, is kept whatever the input.
 * kafkajs 2.2.4 is its last release (2023); installKafkajsProduceRequest()
 * leaves kafkajs's encoder in place on any other version.
 */

const require = createRequire(import.meta.url);

const MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const { Produce: API_KEY } = require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number };
const { Types } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number } };

export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: 'Produce';
  expectResponse(): boolean;
  encode(): Promise<KafkajsEncoder>;
}
type ProduceRequestFactory = (args: ProduceRequestArgs) => ProduceRequest;

/** kafkajs's own, for what this encoder leaves to it (taken before installKafkajsProduceRequest() replaces it). */
const kafkajsProduceRequest = require(MODULE) as ProduceRequestFactory;

/** kafkajs's produce request (v3; kafkajs's v4 to v7 relabel it), encoded here when uncompressed. */
export function produceRequest(args: ProduceRequestArgs): ProduceRequest {
  const { acks, compression = Types.None } = args;
  return {
    apiKey: API_KEY,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => acks !== 0,
    encode: async () => (compression === Types.None ? encodeUncompressedProduceRequest(args) : null) ?? kafkajsProduceRequest(args).encode(),
  };
}

let installed = false;

/**
 * Puts produceRequest in place of kafkajs's v3 produce request. It must run
 * before kafkajs loads its v4 to v7 produce requests (they load lazily, on a
 * producer's first send, and keep the v3 module they find): otherwise, or on a
 * kafkajs version it was not checked against, it leaves kafkajs's encoder in
 * place and says why.
 */
export function installKafkajsProduceRequest(): Installation {
  if (installed) return { installed };
  const mismatch = kafkajsVersionMismatch('test/unit/kafkajs-produce-request.test.ts');
  if (mismatch !== undefined) return { installed, reason: mismatch };
  const path = require.resolve(MODULE);
  const produceDir = path.slice(0, path.lastIndexOf('/v3/'));
  const loaded = Object.keys(require.cache).filter((p) => p.startsWith(produceDir) && /\/v[4-9]\/request\.js$/.test(p));
  if (loaded.length > 0) return { installed, reason: `kafkajs produced before it was installed (${loaded.length} later produce request versions loaded)` };
  require.cache[path]!.exports = produceRequest;
  installed = true;
  return { installed };
}
