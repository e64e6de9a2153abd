import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash, Authenticator } from '../../src/auth/index.ts';
import { UnauthenticatedError } from '../../src/contracts/index.ts';
import { withMetadata, withToken } from '../support/auth.ts';
import { TestClient } from '../support/client.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { failure } from '../support/grpc-errors.ts';
import { AUDIENCE, jwks, SecurityDir, signingKey, token, type SigningKey } from '../support/security.ts';

const API_KEY = 'fuzz-key-4c3b2a1f0e9d8c7b';
const b64url = (text: string) => Buffer.from(text).toString('base64url');

/** Header-safe text (grpc-js refuses anything else client-side). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });

function malformedTokens(valid: string): fc.Arbitrary<string> {
  const [header, payload, signature] = valid.split('.') as [string, string, string];
  return fc.oneof(
    headerText,
    fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => parts.join('.').replace(/[+/=]/g, '_')),
    // A real token with one character of its signature or payload changed.
    fc.tuple(fc.nat(), fc.constantFrom('A', 'b', '_', '-', '9')).map(([at, c]) => {
      const i = header.length + 1 + (at % (payload.length + 1 + signature.length));
      return valid.slice(0, i) + c + valid.slice(i + 1);
    }),
    // alg "none", odd headers and payloads around the real signature.
    fc.json().map((claims) => `${b64url('{"alg":"none"}')}.${b64url(claims)}.`),
    fc.tuple(fc.json(), fc.json()).map(([h, p]) => `${b64url(h)}.${b64url(p)}.${signature}`),
  );
}

describe('fuzz: malformed tokens and metadata', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  let key: SigningKey;
  let valid: string;
  let authenticator: Authenticator;
  beforeAll(async () => {
    key = await signingKey('RS256', 'fuzz');
    valid = await token(key);
    dir.write('jwks.json', await jwks([key]));
    const file = dir.write('security.json', {
      authentication: { jwt: { jwksFile: 'jwks.json', audience: AUDIENCE }, apiKeys: [{ name: 'fuzz', sha256: apiKeyHash(API_KEY) }] },
      rules: [{ principals: ['*'], actions: ['publish', 'read-offsets'], topics: ['*'] }],
    });
    gateway = await startTestGateway({ SECURITY_FILE: file });
    // The same settings as the file, in process: the reference for what must be accepted.
    authenticator = new Authenticator({
      jwt: { jwks: (await jwks([key])) as never, algorithms: ['RS256', 'ES256', 'EdDSA'], audience: AUDIENCE, clockSkewSeconds: 30, principalClaim: 'sub' },
      apiKeys: [{ name: 'fuzz', sha256: apiKeyHash(API_KEY) }],
      mtls: false,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  it('the authenticator only ever rejects with UnauthenticatedError (any unicode, any shape)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string(), malformedTokens(valid).map((t) => `Bearer ${t}`), fc.uint8Array().map(Buffer.from)), { maxLength: 3 }), async (values) => {
        const outcome = await authenticator.authenticate({ authorization: values }).then(
          (principal) => principal,
          (err: unknown) => err,
        );
        if (!(outcome instanceof UnauthenticatedError)) expect(outcome).toEqual({ id: 'jwt:alice', names: ['jwt:alice'] }); // a token left valid
      }),
      { numRuns: 1000 },
    );
  });

  it('over gRPC, every malformed authorization or stray metadata gets UNAUTHENTICATED (or OK for a still-valid token), never a crash', async () => {
    const metadataEntry = fc.oneof(
      fc.tuple(fc.constant('authorization'), malformedTokens(valid).map((t) => `Bearer ${t}`)),
      fc.tuple(fc.constant('authorization'), headerText),
      // A text value under a -bin key is refused by grpc-js's own Metadata before anything is sent.
      fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/).filter((k) => !k.endsWith('-bin')), headerText),
      fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}-bin$/), fc.uint8Array({ maxLength: 200 }).map(Buffer.from)),
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(metadataEntry, { maxLength: 4, selector: ([k]) => k }), async (entries) => {
        const client = new TestClient(gateway.address, grpc.credentials.createInsecure(), withMetadata(entries));
        try {
          const err = await failure(client.getEndOffsets({ topic: 'fuzz' }));
          const authorization = entries.filter(([k]) => k === 'authorization').map(([, v]) => v);
          // OK exactly when the credential is one the gateway's own verifier accepts (a mutation that left a token intact).
          const accepted = await authenticator.authenticate({ authorization }).then(() => true, () => false);
          if (accepted) expect(err).toBeNull();
          else expect(err?.code, JSON.stringify(err)).toBe(grpc.status.UNAUTHENTICATED);
        } finally {
          client.close();
        }
      }),
      { numRuns: 150 },
    );
    // Still serving.
    const client = new TestClient(gateway.address, grpc.credentials.createInsecure(), withToken(valid));
    try {
      expect(await client.getEndOffsets({ topic: 'fuzz' })).toEqual({ offsets: {} });
    } finally {
      client.close();
    }
  }, 120_000);
});
