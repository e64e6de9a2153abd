import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash } from '../../src/auth/index.ts';
import { withMetadata, withToken } from '../support/auth.ts';
import { TestClient } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { failure } from '../support/grpc-errors.ts';
import { AUDIENCE, ISSUER, jwks, SecurityDir, signingKey, spki, token, type SigningKey } from '../support/security.ts';

const API_KEY = 'k3y-0f-the-batch-loader-7c1d2e9a5b';

describe('authentication over gRPC (JWKS file, API keys)', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  let rsa: SigningKey, ec: SigningKey, ed: SigningKey, stranger: SigningKey;

  beforeAll(async () => {
    [rsa, ec, ed, stranger] = await Promise.all([signingKey('RS256', 'rsa-1'), signingKey('ES256', 'ec-1'), signingKey('EdDSA', 'ed-1'), signingKey('RS256', 'rsa-1')]);
    dir.write('jwks.json', await jwks([rsa, ec, ed]));
    const file = dir.write('security.json', {
      authentication: {
        jwt: { jwksFile: 'jwks.json', issuer: ISSUER, audience: AUDIENCE, clockSkewSeconds: 5 },
        apiKeys: [{ name: 'loader', sha256: apiKeyHash(API_KEY) }],
      },
      rules: [{ principals: ['*'], actions: ['publish'], topics: ['*'] }],
    });
    gateway = await startTestGateway({ SECURITY_FILE: file, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
  });
  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  async function publishAs(options: grpc.ClientOptions) {
    const client = new TestClient(gateway.address, grpc.credentials.createInsecure(), options);
    try {
      return await failure(client.publish({ topic: 'auth-orders', value: Buffer.from('x') }));
    } finally {
      client.close();
    }
  }

  it('accepts RS256, ES256 and EdDSA tokens from the JWKS, and a known API key', async () => {
    for (const key of [rsa, ec, ed]) expect(await publishAs(withToken(await token(key))), key.alg).toBeNull();
    expect(await publishAs(withToken(API_KEY))).toBeNull();
  });

  it('answers UNAUTHENTICATED with the reason, never naming a key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Promise<string> | string, RegExp]> = [
      ['expired', token(rsa, {}, { expiresAt: now - 60 }), /token expired/],
      ['wrong audience', token(rsa, { aud: 'someone-else' }), /another audience/],
      ['wrong issuer', token(ec, { iss: 'https://evil.test' }), /another issuer/],
      ['not yet valid', token(ed, {}, { notBefore: now + 600 }), /not valid yet/],
      ['wrong key', token(stranger), /signature does not verify|unknown key/],
      ['unknown kid', signingKey('ES256', 'nobody').then((k) => token(k)), /unknown key/],
      ['unknown API key', 'not-a-key-we-know', /unknown API key/],
    ];
    for (const [name, pending, reason] of cases) {
      const err = await publishAs(withToken(await pending));
      expect(err?.code, name).toBe(grpc.status.UNAUTHENTICATED);
      expect(err?.details, name).toMatch(reason);
      expect(err?.details, name).not.toMatch(/rsa-1|ec-1|ed-1|loader/);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.sluice.metricsPort}/metrics`)).text();
    for (const reason of ['expired', 'wrong_audience', 'wrong_issuer', 'not_yet_valid', 'unknown_key']) {
      expect(metrics).toMatch(new RegExp(`^sluice_auth_denials_total\\{reason="${reason}"\\} [1-9]`, 'm'));
    }
    expect(metrics).not.toContain('eyJ'); // no token, nor any part of one
    expect(metrics).not.toContain('not-a-key-we-know');
  });

  it('answers UNAUTHENTICATED without a credential, for unary and streaming calls alike', async () => {
    const err = await failure(gateway.client.publish({ topic: 'auth-orders', value: Buffer.from('x') }));
    expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err?.details).toMatch(/no credential/);
    const subscribe = gateway.client.subscribe({ topic: 'auth-orders', group: 'g' });
    expect((await subscribe.status).code).toBe(grpc.status.UNAUTHENTICATED);
    const receive = gateway.client.receive({ assignment: { sessionId: 'nope', partition: 0 } });
    expect((await receive.status).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('refuses malformed authorization values', async () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearer a.b.c', `bearer   ${API_KEY} trailing`]) {
      const err = await publishAs(withMetadata([['authorization', value]]));
      expect(err?.code, value).toBe(grpc.status.UNAUTHENTICATED);
    }
    // grpc-js clients refuse to send two authorization values ("cannot have multiple values"); the server refuses them too.
  });

  it('keeps health and reflection public by default', async () => {
    const health = new grpc.Client(gateway.address, grpc.credentials.createInsecure());
    try {
      const reply = await new Promise<Buffer>((resolve, reject) =>
        health.makeUnaryRequest('/grpc.health.v1.Health/Check', (x: Buffer) => x, (b: Buffer) => b, Buffer.alloc(0), (err, value) => (err ? reject(err) : resolve(value!))),
      );
      expect(reply).toEqual(Buffer.from([0x08, 0x01])); // status: SERVING
    } finally {
      health.close();
    }
  });
});

describe('authentication with a PEM public key, and private health', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  let key: SigningKey;
  beforeAll(async () => {
    key = await signingKey('ES256', 'pem');
    dir.write('key.pem', await spki(key));
    const file = dir.write('security.json', {
      authentication: { jwt: { publicKeyFile: 'key.pem', audience: AUDIENCE, principalClaim: 'client_id' } },
      rules: [{ principals: ['jwt:billing'], actions: ['read-offsets'], topics: ['*'] }],
      public: { health: false },
    });
    gateway = await startTestGateway({ SECURITY_FILE: file });
  });
  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  it('names the principal by the configured claim and verifies against the PEM key', async () => {
    const client = new TestClient(gateway.address, grpc.credentials.createInsecure(), withToken(await token(key, { client_id: 'billing' })));
    const other = new TestClient(gateway.address, grpc.credentials.createInsecure(), withToken(await token(key, { client_id: 'someone' })));
    try {
      expect(await client.getEndOffsets({ topic: 'pem-topic' })).toEqual({ offsets: {} });
      const denied = await failure(other.getEndOffsets({ topic: 'pem-topic' }));
      expect(denied?.code).toBe(grpc.status.PERMISSION_DENIED);
    } finally {
      client.close();
      other.close();
    }
  });

  it('asks health callers for a credential when public.health is false', async () => {
    const check = (options: grpc.ClientOptions) => {
      const client = new grpc.Client(gateway.address, grpc.credentials.createInsecure(), options);
      return failure(
        new Promise((resolve, reject) =>
          client.makeUnaryRequest('/grpc.health.v1.Health/Check', (x: Buffer) => x, (b: Buffer) => b, Buffer.alloc(0), (err, value) => (err ? reject(err) : resolve(value))),
        ).finally(() => client.close()),
      );
    };
    expect((await check({}))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await check(withToken(await token(key, { client_id: 'billing' })))).toBeNull();
  });
});
