import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash } from '../../src/auth/index.ts';
import { retryDelayMs } from '../../src/grpc/retry-info.ts';
import { keyedClients } from '../support/auth.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { SecurityDir } from '../support/security.ts';

const KEYS = { limited: 'limited-key-0a9f8e7d6c5b4a', free: 'free-key-1b2c3d4e5f6a7b8c' };

describe('per-principal limits over gRPC', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  const keyed = keyedClients(KEYS, () => gateway.address);
  const as = keyed.as;

  beforeAll(async () => {
    const file = dir.write('security.json', {
      authentication: { apiKeys: Object.entries(KEYS).map(([name, key]) => ({ name, sha256: apiKeyHash(key) })) },
      rules: [{ principals: ['*'], actions: ['publish', 'subscribe', 'ack', 'read-offsets'], topics: ['limits.*'], groups: ['*'] }],
      limits: { principals: { 'key:limited': { publishPerSecond: 1, publishBurst: 3, subscribeStreams: 1, receiveStreams: 1 } } },
    });
    gateway = await startTestGateway({ SECURITY_FILE: file, MEMORY_PARTITIONS: '1' });
  });
  afterAll(async () => {
    keyed.close();
    await gateway?.stop();
    dir.remove();
  });

  /** The call's error with its trailing metadata. */
  const rejection = (call: Promise<unknown>) => call.then(() => null, (err: grpc.ServiceError) => err);

  it('refuses publishes past the rate with RESOURCE_EXHAUSTED, naming the limit, with retry info; others are unaffected', async () => {
    const limited = as('limited');
    for (let i = 0; i < 3; i++) await limited.publish({ topic: 'limits.rate', value: Buffer.from(`r${i}`) });
    const err = await rejection(limited.publish({ topic: 'limits.rate', value: Buffer.from('over') }));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/publish rate of 1 records\/s reached \(limit publishPerSecond; retry after \d+ ms\)/);
    const retryAfter = Number(err?.metadata.get('retry-after-ms')[0]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(1000);
    const details = err?.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(retryDelayMs(details)).toBe(retryAfter);

    const free = as('free');
    for (let i = 0; i < 20; i++) await free.publish({ topic: 'limits.rate', value: Buffer.from(`f${i}`) });
  });

  it('refuses a second Subscribe and a second Receive stream, and allows them again once the first ends', async () => {
    const limited = as('limited');
    const first = limited.subscribe({ topic: 'limits.streams', group: 'g1' });
    const [assignment] = await first.until((a) => a.length === 1);

    const second = limited.subscribe({ topic: 'limits.streams', group: 'g2' });
    const refused = await second.status;
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/1 concurrent Subscribe streams already open \(limit subscribeStreams; retry after 1000 ms\)/);
    // Another principal can still subscribe.
    const other = as('free').subscribe({ topic: 'limits.streams', group: 'g3' });
    await other.until((a) => a.length === 1);

    const receive = limited.receive({ assignment });
    const status = new Promise<grpc.StatusObject>((resolve) => limited.receive({ assignment }).call.on('status', resolve));
    const secondReceive = await status;
    expect(secondReceive.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(secondReceive.details).toMatch(/limit receiveStreams/);
    expect(Number(secondReceive.metadata.get('retry-after-ms')[0])).toBe(1000);

    receive.cancel();
    await receive.status;
    first.cancel();
    await first.status;
    // Released: the same principal may open streams again (the server may see the cancel a moment later).
    let again = limited.subscribe({ topic: 'limits.streams', group: 'g1' });
    for (let tries = 0; tries < 50; tries++) {
      const outcome = await Promise.race([again.until((a) => a.length === 1).then(() => 'open' as const), again.status.then((s) => s.code)]);
      if (outcome === 'open') break;
      expect(outcome).toBe(grpc.status.RESOURCE_EXHAUSTED);
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = limited.subscribe({ topic: 'limits.streams', group: 'g1' });
    }
    expect(again.assignments).toHaveLength(1);
    again.cancel();
    other.cancel();
  });
});
