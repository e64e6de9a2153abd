import { connect as http2Connect, constants, type ClientHttp2Session } from 'node:http2';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';
import { connect, unary } from './support/rpc.ts';
import { LONG } from './support/verifier.ts';

/**
 * Bad input, fuzzed: every request message of the service, with fields of the
 * right wire types and any content (fast-check), over a real gRPC client; then
 * raw HTTP/2 requests with malformed protobuf bodies, broken gRPC framing and
 * oversized messages. Every answer is a status with a message, never INTERNAL
 * or UNKNOWN from a handler; the gateway keeps serving; its heap returns to
 * about where it was.
 */

const MAX_MESSAGE_BYTES = 64 * 1024;
const RUNS = LONG ? 2_000 : 150;
const SERVICE = '/com.github.bsideup.liiklus.LiiklusService/';

/**
 * What a client's mistake may be answered with; OK when the request happened to be valid;
 * UNIMPLEMENTED for an RPC of the proto this gateway does not serve yet (clients fall back).
 */
const ANSWERS = new Set([grpc.status.OK, grpc.status.UNIMPLEMENTED, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.RESOURCE_EXHAUSTED, grpc.status.FAILED_PRECONDITION, grpc.status.OUT_OF_RANGE]);

const validName = fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/).map((s) => `fz-${s}`);
const anyString = fc.oneof(
  validName,
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('', ' ', 'a'.repeat(250), 'a'.repeat(5000), 'topic with spaces', '../etc', '\u0000', 'é', '__consumer_offsets', 'g-v3', 'g-v99999999999'),
);
const u32 = fc.oneof(fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1), fc.nat());
const u64 = fc.oneof(fc.constantFrom('0', '1', '18446744073709551615', '9223372036854775807'), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
const bytes = fc.oneof(fc.constant(Buffer.alloc(0)), fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b)));
const assignment = fc.record({ sessionId: fc.oneof(anyString, fc.uuid()), partition: u32 }, { requiredKeys: [] });
const event = fc.record(
  { id: anyString, type: anyString, source: anyString, time: fc.oneof(anyString, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), dataContentType: anyString, data: bytes, extensions: fc.dictionary(anyString, anyString, { maxKeys: 4 }) },
  { requiredKeys: [] },
);
const publish = fc.record({ topic: anyString, key: bytes, value: bytes, liiklusEvent: event, headers: fc.dictionary(anyString, bytes, { maxKeys: 4 }) }, { requiredKeys: [] });

const REQUESTS = {
  Publish: publish,
  PublishBatch: fc.record({ records: fc.array(publish, { maxLength: 5 }) }, { requiredKeys: [] }),
  Ack: fc.record({ assignment, topic: anyString, group: anyString, groupVersion: u32, partition: u32, offset: u64 }, { requiredKeys: [] }),
  GetOffsets: fc.record({ topic: anyString, group: anyString, groupVersion: u32 }, { requiredKeys: [] }),
  GetEndOffsets: fc.record({ topic: anyString }, { requiredKeys: [] }),
  Subscribe: fc.record({ topic: anyString, group: anyString, groupVersion: u32, autoOffsetReset: fc.constantFrom('EARLIEST', 'LATEST', 0, 1) }, { requiredKeys: [] }),
  Receive: fc.record({ assignment, lastKnownOffset: u64, format: fc.constantFrom('BINARY', 'LIIKLUS_EVENT', 0, 1) }, { requiredKeys: [] }),
  ReceiveBatch: fc.record(
    { request: fc.record({ assignment, lastKnownOffset: u64, format: fc.constantFrom('BINARY', 'LIIKLUS_EVENT') }, { requiredKeys: [] }), maxRecords: u32, maxBytes: u32 },
    { requiredKeys: [] },
  ),
} as const;
const STREAMING = new Set(['Subscribe', 'Receive', 'ReceiveBatch']);

interface Answer {
  code: grpc.status;
  details: string;
}

/** A streaming call's status, or OK when it is still open (serving) after a moment; then it is cancelled. */
function streamAnswer(gateway: TestGateway, method: string, request: object): Promise<Answer> {
  const call = (gateway.client.raw[method] as unknown as (r: object) => grpc.ClientReadableStream<unknown>).call(gateway.client.raw, request);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve({ code: grpc.status.OK, details: 'still streaming' });
      call.cancel();
    }, 200);
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve({ code: s.code === grpc.status.CANCELLED ? grpc.status.OK : s.code, details: s.details });
    });
  });
}

async function answer(gateway: TestGateway, client: ReturnType<typeof connect>, method: string, request: object): Promise<Answer> {
  if (STREAMING.has(method)) return streamAnswer(gateway, method, request);
  try {
    await unary(client, method, request, 10_000);
    return { code: grpc.status.OK, details: '' };
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** A raw gRPC request over HTTP/2: the frame bytes as given; resolves with grpc-status and grpc-message. */
function rawCall(session: ClientHttp2Session, method: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number | undefined; message: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: SERVICE + method,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    let status: number | undefined;
    let message = '';
    const take = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('data', () => undefined);
    stream.on('error', reject);
    stream.on('close', () => resolve({ status, message }));
    const timer = setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), 2_000);
    stream.on('close', () => clearTimeout(timer));
    stream.end(body);
  });
}

const frame = (payload: Buffer, { compressed = false, declaredLength = payload.length } = {}) => {
  const header = Buffer.alloc(5);
  header.writeUInt8(compressed ? 1 : 0, 0);
  header.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([header, payload]);
};

describe('bad input, fuzzed: every answer a status with a message; the gateway stays up, its memory returns', () => {
  let gateway: TestGateway;
  let client: ReturnType<typeof connect>;
  beforeAll(async () => {
    gateway = await startTestGateway({ GRPC_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES), MEMORY_PARTITIONS: '2' });
    client = connect(gateway.address);
  });
  afterAll(async () => {
    client?.close();
    await gateway?.stop();
  });

  async function stillServing(): Promise<void> {
    const topic = uniqueName('fz-alive');
    const reply = await unary<{ offset: string }>(client, 'Publish', { topic, value: Buffer.from('x') }, 10_000);
    expect(reply.offset).toBe('0');
  }

  it('answers every generated request message with an expected status and a message', async () => {
    const seen = new Map<string, Map<grpc.status, number>>();
    const baseline = await heapAfterGc();
    for (const [method, arbitrary] of Object.entries(REQUESTS)) {
      const counts = new Map<grpc.status, number>();
      seen.set(method, counts);
      await fc.assert(
        fc.asyncProperty(arbitrary, async (request) => {
          const { code, details } = await answer(gateway, client, method, request);
          counts.set(code, (counts.get(code) ?? 0) + 1);
          expect(ANSWERS.has(code), `${method} ${JSON.stringify(request).slice(0, 400)} → ${grpc.status[code]} ${details}`).toBe(true);
          if (code !== grpc.status.OK) expect(details.length, `${method}: ${grpc.status[code]} without a message`).toBeGreaterThan(0);
        }),
        { numRuns: RUNS },
      );
    }
    await stillServing();
    // Invalid input was answered as such, not only accepted: the fuzz reaches the validation.
    expect(seen.get('Publish')!.get(grpc.status.INVALID_ARGUMENT) ?? 0).toBeGreaterThan(0);
    expect(seen.get('Receive')!.get(grpc.status.NOT_FOUND) ?? seen.get('Receive')!.get(grpc.status.INVALID_ARGUMENT) ?? 0).toBeGreaterThan(0);
    console.log('fuzz answers:', JSON.stringify(Object.fromEntries([...seen].map(([m, c]) => [m, Object.fromEntries([...c].map(([k, v]) => [grpc.status[k], v]))]))));
    const grown = (await heapAfterGc()) - baseline;
    console.log(`heap after the fuzz: ${(grown / 1024 / 1024).toFixed(1)} MiB above the baseline`);
    // Generous: the memory store keeps the topics and records that valid requests created.
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  }, 300_000);

  it('answers an oversized message with RESOURCE_EXHAUSTED naming the limit', async () => {
    const error = await unary(client, 'Publish', { topic: 'fz-big', value: Buffer.alloc(MAX_MESSAGE_BYTES + 1) }, 10_000).catch((e: grpc.ServiceError) => e);
    expect((error as grpc.ServiceError).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((error as grpc.ServiceError).details).toContain(String(MAX_MESSAGE_BYTES));
    await stillServing();
  });

  it('answers raw HTTP/2 requests with malformed protobuf, broken framing and oversized frames, and stays up', async () => {
    const session = http2Connect(`http://${gateway.address}`);
    session.on('error', () => undefined);
    const baseline = await heapAfterGc();
    try {
      const methods = Object.keys(REQUESTS);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...methods), fc.uint8Array({ maxLength: 512 }), async (method, payload) => {
          const { status, message } = await rawCall(session, method, frame(Buffer.from(payload)));
          expect(status, `${method} ${Buffer.from(payload).toString('hex')}`).toBeDefined();
          // grpc-js answers a body it cannot decode with INTERNAL "Error deserializing request" before any handler runs.
          const undecodable = status === grpc.status.INTERNAL && /deserializ/i.test(message);
          expect(ANSWERS.has(status!) || undecodable, `${method} ${Buffer.from(payload).toString('hex')} → ${status} ${message}`).toBe(true);
          if (status !== grpc.status.OK) expect(message.length).toBeGreaterThan(0);
        }),
        { numRuns: RUNS },
      );
      const oversized = await rawCall(session, 'Publish', frame(Buffer.alloc(MAX_MESSAGE_BYTES + 10)));
      expect(oversized.status).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(oversized.message).toContain(String(MAX_MESSAGE_BYTES));
      const declaredHuge = await rawCall(session, 'Publish', frame(Buffer.alloc(10), { declaredLength: 0x7fffffff }));
      expect(declaredHuge.status).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const truncated = await rawCall(session, 'Ack', frame(Buffer.alloc(10), { declaredLength: 100 }));
      expect(truncated.status).toBeDefined();
      expect(truncated.status).not.toBe(grpc.status.OK);
      const compressed = await rawCall(session, 'GetOffsets', frame(Buffer.from('not gzip'), { compressed: true }));
      expect(compressed.status).toBeDefined();
      expect(compressed.status).not.toBe(grpc.status.OK);
      const unknown = await rawCall(session, 'NoSuchMethod', frame(Buffer.alloc(0)));
      expect(unknown.status).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      session.close();
    }
    await stillServing();
    const grown = (await heapAfterGc()) - baseline;
    console.log(`heap after the raw HTTP/2 requests: ${(grown / 1024 / 1024).toFixed(1)} MiB above the baseline`);
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  }, 300_000);
});
