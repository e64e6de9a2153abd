import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash } from '../../src/auth/index.ts';
import { connect, SluiceClientError } from '../../src/client/index.ts';
import { runCli } from '../cli/run.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { AUDIENCE, jwks, SecurityDir, signingKey, token, type SigningKey } from '../support/security.ts';

const API_KEY = 'cli-key-6d5c4b3a2f1e0d9c';

describe('TS client and CLI with a token', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  let key: SigningKey;
  beforeAll(async () => {
    key = await signingKey('ES256', 'client-test');
    dir.write('jwks.json', await jwks([key]));
    const file = dir.write('security.json', {
      authentication: { jwt: { jwksFile: 'jwks.json', audience: AUDIENCE }, apiKeys: [{ name: 'cli', sha256: apiKeyHash(API_KEY) }] },
      rules: [{ principals: ['jwt:*', 'key:cli'], actions: ['publish', 'subscribe', 'ack', 'read-offsets'], topics: ['client.*'], groups: ['*'] }],
      limits: { principals: { 'jwt:limited': { publishPerSecond: 1, publishBurst: 1 } } },
    });
    gateway = await startTestGateway({ SECURITY_FILE: file });
  });
  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  it('asks a token callback at every call, so a refreshed token is used', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tokens = [await token(key, {}, { expiresAt: now + 3600 }), await token(key, {}, { expiresAt: now - 60 }), await token(key)];
    let calls = 0;
    const client = connect(gateway.address, { token: () => tokens[calls++]! });
    try {
      await client.publish('client.refresh', 'a');
      const expired = await client.publish('client.refresh', 'b').catch((err: SluiceClientError) => err);
      expect(expired).toMatchObject({ code: status.UNAUTHENTICATED, details: 'token expired' });
      await client.publish('client.refresh', 'c'); // the callback handed out a fresh one
      expect(calls).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('fails the call with UNAUTHENTICATED when the token callback throws, and exposes retry info over a limit', async () => {
    const failing = connect(gateway.address, {
      token: () => {
        throw new Error('identity provider down');
      },
    });
    const limited = connect(gateway.address, { token: await token(key, { sub: 'limited' }) });
    try {
      const err = await failing.publish('client.x', 'a').catch((e: SluiceClientError) => e);
      expect(err).toMatchObject({ code: status.UNAUTHENTICATED, details: 'the token callback failed: identity provider down' });
      await limited.publish('client.limited', 'a');
      const over = await limited.publish('client.limited', 'b').catch((e: SluiceClientError) => e);
      expect(over).toBeInstanceOf(SluiceClientError);
      expect((over as SluiceClientError).code).toBe(status.RESOURCE_EXHAUSTED);
      expect((over as SluiceClientError).retryAfterMs).toBeGreaterThan(0);
    } finally {
      await failing.close();
      await limited.close();
    }
  });

  it('CLI: --token and SLUICE_TOKEN; without either the gateway answers UNAUTHENTICATED', async () => {
    const flag = await runCli(['publish', 'client.cli', 'v1', '--token', API_KEY, '--address', gateway.address]);
    expect(flag).toMatchObject({ code: 0, stderr: '' });
    const env = await runCli(['offsets', 'client.cli', '--group', 'g', '--address', gateway.address], { env: { SLUICE_TOKEN: await token(key) } });
    expect(env).toMatchObject({ code: 0, stderr: '' });
    const none = await runCli(['publish', 'client.cli', 'v1', '--address', gateway.address], { env: { SLUICE_TOKEN: '' } });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/Publish failed \(UNAUTHENTICATED\): no credential/);
  });
});
