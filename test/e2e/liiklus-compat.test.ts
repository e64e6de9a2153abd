import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';

// A client built from the upstream Liiklus messages (no Sluice additions), with
// snake_case field names as protoc-generated clients use them.
const UPSTREAM = fileURLToPath(new URL('../fixtures/liiklus-upstream.proto', import.meta.url));
const definition = protoLoader.loadSync(UPSTREAM, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const Service = (grpc.loadPackageDefinition(definition) as never as { com: { github: { bsideup: { liiklus: { LiiklusService: grpc.ServiceClientConstructor } } } } })
  .com.github.bsideup.liiklus.LiiklusService;

type Callback<T> = (err: grpc.ServiceError | null, reply: T) => void;
interface UpstreamClient extends grpc.Client {
  Publish(r: object, cb: Callback<{ partition: number; offset: string }>): void;
  Ack(r: object, cb: Callback<object>): void;
  GetOffsets(r: object, cb: Callback<{ offsets: Record<string, string> }>): void;
  Subscribe(r: object): grpc.ClientReadableStream<{ assignment: { session_id: string; partition: number } }>;
  Receive(r: object): grpc.ClientReadableStream<{ record: { offset: string; value: Buffer; replay: boolean } }>;
}

const call = <T>(fn: (cb: Callback<T>) => void) => new Promise<T>((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));

describe('a client generated from the upstream Liiklus proto', () => {
  let gateway: TestGateway;
  let client: UpstreamClient;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '2' });
    client = new Service(gateway.address, grpc.credentials.createInsecure()) as unknown as UpstreamClient;
  });
  afterAll(async () => {
    client?.close();
    await gateway?.stop();
  });

  it('publishes, subscribes, receives and acks unchanged', async () => {
    const topic = uniqueName('compat');
    const group = uniqueName('g');
    const published = await call<{ partition: number; offset: string }>((cb) => client.Publish({ topic, key: Buffer.from('k'), value: Buffer.from('hi') }, cb));
    const subscription = client.Subscribe({ topic, group, auto_offset_reset: 'EARLIEST' });
    const assignment = await new Promise<{ session_id: string; partition: number }>((resolve) =>
      subscription.on('data', (reply: { assignment: { session_id: string; partition: number } }) => {
        if (reply.assignment.partition === published.partition) resolve(reply.assignment);
      }),
    );
    const stream = client.Receive({ assignment, format: 'BINARY' });
    const record = await new Promise<{ offset: string; value: Buffer; replay: boolean }>((resolve) => stream.on('data', (r: { record: { offset: string; value: Buffer; replay: boolean } }) => resolve(r.record)));
    expect([record.offset, record.value.toString(), record.replay]).toEqual([published.offset, 'hi', false]);
    await call((cb) => client.Ack({ assignment, offset: record.offset }, cb));
    const { offsets } = await call<{ offsets: Record<string, string> }>((cb) => client.GetOffsets({ topic, group }, cb));
    expect(offsets).toEqual({ [published.partition]: published.offset });
    stream.on('error', () => undefined);
    subscription.on('error', () => undefined);
    stream.cancel();
    subscription.cancel();
  });
});
