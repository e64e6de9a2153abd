import * as grpc from '@grpc/grpc-js';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withToken } from '../support/auth.ts';
import { TestClient } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { failure } from '../support/grpc-errors.ts';
import { ROOT } from '../support/process.ts';
import { jwks, SecurityDir, signingKey, token, type SigningKey } from '../support/security.ts';

const DOC_CONFIG = join(ROOT, 'docs/security/security.json');
const DEMO_KEY = 'sluice-demo-key-change-me';

describe('the config in docs/security.md, as written', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  let key: SigningKey;
  const clients: TestClient[] = [];
  const as = (credential: string) => {
    const client = new TestClient(gateway.address, grpc.credentials.createInsecure(), withToken(credential));
    clients.push(client);
    return client;
  };
  const jwtFor = (sub: string) => token(key, { sub, iss: 'https://auth.example.com', aud: 'sluice' });

  beforeAll(async () => {
    // The guide's file byte for byte, beside a jwks.json of our own (its jwksFile is relative to it).
    copyFileSync(DOC_CONFIG, join(dir.path, 'security.json'));
    expect(readFileSync(join(dir.path, 'security.json'))).toEqual(readFileSync(DOC_CONFIG));
    key = await signingKey('ES256', 'docs');
    dir.write('jwks.json', await jwks([key]));
    gateway = await startTestGateway({ SECURITY_FILE: join(dir.path, 'security.json'), MEMORY_PARTITIONS: '1' });
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await gateway?.stop();
    dir.remove();
  });

  it('is the file the guide shows', () => {
    const guide = readFileSync(join(ROOT, 'docs/security.md'), 'utf8');
    const block = /## A complete configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(block).toBe(readFileSync(DOC_CONFIG, 'utf8'));
  });

  it('lets each principal do what its rule says, and nothing else', async () => {
    const producer = as(await jwtFor('orders-service'));
    const billing = as(await jwtFor('billing-eu'));
    const exporter = as(DEMO_KEY);
    await producer.publish({ topic: 'orders.eu', value: Buffer.from('o1') });
    expect((await failure(producer.publish({ topic: 'payroll', value: Buffer.from('x') })))?.code).toBe(grpc.status.PERMISSION_DENIED);

    const subscription = billing.subscribe({ topic: 'orders.eu', group: 'billing' });
    const [assignment] = await subscription.until((a) => a.length === 1);
    const receive = billing.receive({ assignment });
    await receive.take(1);
    await billing.ack({ assignment, offset: '0' });
    expect((await failure(billing.publish({ topic: 'orders.eu', value: Buffer.from('x') })))?.code).toBe(grpc.status.PERMISSION_DENIED);
    subscription.cancel();

    expect((await exporter.getOffsets({ topic: 'orders.eu', group: 'billing' })).offsets).toEqual({ 0: '0' });
    expect((await exporter.getEndOffsets({ topic: 'orders.eu' })).offsets).toEqual({ 0: '0' });
    expect((await failure(exporter.publish({ topic: 'orders.eu', value: Buffer.from('x') })))?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await failure(gateway.client.publish({ topic: 'orders.eu', value: Buffer.from('x') })))?.code).toBe(grpc.status.UNAUTHENTICATED);
  });
});
