import { afterAll, describe, expect, it } from 'vitest';
import { loadSecurityPolicy } from '../../src/auth/index.ts';
import { SecurityDir } from '../support/security.ts';

describe('security file', () => {
  const dir = new SecurityDir();
  afterAll(() => dir.remove());
  const load = (content: object) => () => loadSecurityPolicy(dir.write('security.json', content));

  it('refuses an API key written in plain text, naming the entry', () => {
    expect(load({ authentication: { apiKeys: [{ name: 'ci', sha256: 'my-secret-key' }] } })).toThrow(
      /authentication\.apiKeys\.0\.sha256: must be a hex SHA-256 of the key, never the key/,
    );
  });

  it('refuses unknown keys, unknown actions and a JWT section without exactly one key source', () => {
    expect(load({ authentication: {}, rule: [] })).toThrow(/SECURITY_FILE/);
    expect(load({ authentication: {}, rules: [{ principals: ['*'], actions: ['delete'], topics: ['*'] }] })).toThrow(/rules\.0\.actions\.0/);
    expect(load({ authentication: { jwt: { audience: 'x' } } })).toThrow(/exactly one of jwksFile, publicKeyFile/);
    expect(load({ authentication: { jwt: { jwksFile: 'missing.json' } } })).toThrow(/cannot read missing\.json/);
  });

  it('merges per-principal limits over the defaults', () => {
    const policy = load({ authentication: {}, limits: { default: { publishPerSecond: 10, receiveStreams: 4 }, principals: { 'key:ci': { publishPerSecond: 100 } } } })();
    expect(policy.limitsFor('key:ci')).toEqual({ publishPerSecond: 100, receiveStreams: 4 });
    expect(policy.limitsFor('jwt:alice')).toEqual({ publishPerSecond: 10, receiveStreams: 4 });
  });
});
