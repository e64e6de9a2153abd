import { afterEach, describe, expect, it, vi } from 'vitest';
import { Authenticator } from '../../src/auth/index.ts';
import { AUDIENCE, jwks, signingKey, token } from '../support/security.ts';

describe('authenticator token cache', () => {
  afterEach(() => vi.useRealTimers());

  it('remembers a verified token only until its exp', async () => {
    const key = await signingKey('EdDSA', 'cache');
    const authenticator = new Authenticator({
      jwt: { jwks: (await jwks([key])) as never, algorithms: ['EdDSA'], audience: AUDIENCE, clockSkewSeconds: 0, principalClaim: 'sub' },
      apiKeys: [],
      mtls: false,
    });
    const now = Date.now();
    const jwt = await token(key, {}, { expiresAt: Math.floor(now / 1000) + 60 });
    const bearer = { authorization: [`Bearer ${jwt}`] };
    expect(await authenticator.authenticate(bearer)).toEqual({ id: 'jwt:alice', names: ['jwt:alice'] });
    expect(await authenticator.authenticate(bearer)).toEqual({ id: 'jwt:alice', names: ['jwt:alice'] }); // from the cache
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now + 61_000);
    await expect(authenticator.authenticate(bearer)).rejects.toThrow('token expired');
  });
});
