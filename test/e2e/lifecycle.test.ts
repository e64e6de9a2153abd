import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../support/client.ts';
import { spawnGateway, type GatewayProcess } from '../support/process.ts';
import { uniqueName } from '../support/records.ts';

const require = createRequire(import.meta.url);
const HEALTH_PROTO = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
const REFLECTION_PROTO = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');

function clientFor<T>(protoPath: string, path: string[], address: string): T {
  let node: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true, defaults: true, enums: String }));
  for (const part of path) node = (node as Record<string, unknown>)[part];
  return new (node as grpc.ServiceClientConstructor)(address, grpc.credentials.createInsecure()) as T;
}

describe('operations (gateway as a child process, as npm start runs it)', () => {
  let gateway: GatewayProcess | undefined;
  afterEach(() => {
    gateway?.child.kill('SIGKILL');
    gateway = undefined;
  });

  it('serves the standard health service and server reflection listing LiiklusService', async () => {
    gateway = await spawnGateway({ LOG_LEVEL: 'info' });
    expect(gateway.output()).toMatch(/NOT durable/);
    // V8's heap growth, set at start (src/heap-growth.ts).
    expect(gateway.output()).toMatch(/V8 heap growth set: --heap-growing-percent=300 /);
    const health = clientFor<grpc.Client & { Check: (r: object, cb: (e: Error | null, r: { status: string }) => void) => void }>(
      HEALTH_PROTO,
      ['grpc', 'health', 'v1', 'Health'],
      gateway.address,
    );
    const checked = await new Promise<{ status: string }>((resolve, reject) =>
      health.Check({ service: 'com.github.bsideup.liiklus.LiiklusService' }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    expect(checked.status).toBe('SERVING');
    health.close();

    const reflection = clientFor<grpc.Client & { ServerReflectionInfo: () => grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> }>(
      REFLECTION_PROTO,
      ['grpc', 'reflection', 'v1', 'ServerReflection'],
      gateway.address,
    );
    const call = reflection.ServerReflectionInfo();
    const replies: Array<{ list_services_response?: { service: { name: string }[] }; file_descriptor_response?: { file_descriptor_proto: Buffer[] } }> = [];
    const next = () => new Promise<void>((resolve, reject) => {
      call.once('data', (reply) => {
        replies.push(reply);
        resolve();
      });
      call.once('error', reject);
    });
    let received = next();
    call.write({ list_services: '' });
    await received;
    expect(replies[0]!.list_services_response!.service.map((s) => s.name)).toEqual(
      expect.arrayContaining(['com.github.bsideup.liiklus.LiiklusService', 'grpc.health.v1.Health']),
    );
    // grpcurl needs the service's file to name its dependencies (Timestamp's file) and get them too.
    received = next();
    call.write({ file_containing_symbol: 'com.github.bsideup.liiklus.LiiklusService' });
    await received;
    const files = replies[1]!.file_descriptor_response!.file_descriptor_proto.map(
      (bytes) => descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes), { arrays: true }) as { name: string; package: string; dependency: string[] },
    );
    const liiklus = files.find((f) => f.package === 'com.github.bsideup.liiklus')!;
    const wellKnown = files.find((f) => f.package === 'google.protobuf')!;
    expect(liiklus.dependency).toContain(wellKnown.name);
    call.end();
    reflection.close();
  });

  it('on SIGTERM ends open streams with UNAVAILABLE and exits 0 within the grace period', async () => {
    gateway = await spawnGateway({ SHUTDOWN_GRACE_MS: '3000' });
    const client = new TestClient(gateway.address);
    const topic = uniqueName('shutdown');
    const group = uniqueName('g');
    const published = await client.publish({ topic, key: Buffer.from('k'), value: Buffer.from('v') });
    const subscription = client.subscribe({ topic, group });
    const assignments = await subscription.until((a) => a.length === 32);
    const stream = client.receive({ assignment: assignments.find((a) => a.partition === published.partition) });
    await stream.take(1);
    await client.ack({ topic, group, partition: published.partition, offset: published.offset });

    const started = Date.now();
    gateway.child.kill('SIGTERM');
    const [receiveStatus, subscribeStatus, exitCode] = await Promise.all([stream.status, subscription.status, gateway.exited]);
    const took = Date.now() - started;
    expect(receiveStatus.code).toBe(grpc.status.UNAVAILABLE);
    expect(subscribeStatus.code).toBe(grpc.status.UNAVAILABLE);
    expect(exitCode).toBe(0);
    expect(took).toBeLessThan(3000 + 2000);
    expect(gateway.output()).toMatch(/stopped/);
    client.close();
  });

  it('still shuts down on SIGTERM when nothing reads its stdout any more', async () => {
    gateway = await spawnGateway({ LOG_LEVEL: 'info' });
    gateway.child.stdout!.destroy();
    gateway.child.stderr!.destroy();
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  });

  it('a bad configuration value stops the start with one line naming the key', async () => {
    gateway = await spawnGateway({ GRPC_PORT: '70000' }, { waitForListening: false });
    expect(await gateway.exited).toBe(2);
    expect(gateway.output().trim().split('\n')).toEqual([expect.stringMatching(/^sluice: invalid configuration: GRPC_PORT: .*70000/)]);
  });

  it('an unknown store name stops the start naming the key and the choices', async () => {
    gateway = await spawnGateway({ RECORDS_STORE: 'cassandra' }, { waitForListening: false });
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toMatch(/^sluice: invalid configuration: RECORDS_STORE: cannot load store "cassandra".*memory, kafka/m);
  });

  it('a bad store setting stops the start naming the key', async () => {
    gateway = await spawnGateway({ MEMORY_PARTITIONS: 'many' }, { waitForListening: false });
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toMatch(/^sluice: invalid configuration: MEMORY_PARTITIONS: /m);
  });
});
