import { afterAll, describe, expect, it } from 'vitest';
import { loadSecurityPolicy, securityPolicyUpdates, type SecurityPolicy } from '../../src/auth/index.ts';
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

describe('security file reloads', () => {
  const dir = new SecurityDir();
  afterAll(() => dir.remove());

  it('emits a new policy on SIGHUP and on a file change; a broken file is reported and skipped', async () => {
    const path = dir.write('security.json', { authentication: {}, rules: [] });
    const errors: unknown[] = [];
    const policies: SecurityPolicy[] = [];
    let wake = () => {};
    const subscription = securityPolicyUpdates(path, (err) => {
      errors.push(err);
      wake();
    }).subscribe((policy) => {
      policies.push(policy);
      wake();
    });
    const next = (done: () => boolean) => new Promise<void>((resolve) => (wake = () => done() && resolve()));
    try {
      let seen = next(() => policies.length === 1);
      process.kill(process.pid, 'SIGHUP'); // handled: the test process lives on
      await seen;
      expect(policies[0]!.rules.allows({ id: 'key:a', names: ['key:a'] }, 'publish', 't')).toBe(false);

      seen = next(() => policies.length === 2);
      dir.write('security.json', { authentication: {}, rules: [{ principals: ['key:a'], actions: ['publish'], topics: ['t'] }] });
      await seen;
      expect(policies[1]!.rules.allows({ id: 'key:a', names: ['key:a'] }, 'publish', 't')).toBe(true);

      seen = next(() => errors.length > 0);
      dir.write('security.json', '{ not json');
      await seen;
      expect(String(errors[0])).toMatch(/SECURITY_FILE/);
      expect(policies).toHaveLength(2);
    } finally {
      subscription.unsubscribe();
    }
  });
});
