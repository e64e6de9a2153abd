import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/contracts/index.ts';
import { parseRedisUrl, plugin } from '../../plugins/redis-positions/index.ts';

describe('redis positions store: REDIS_URL', () => {
  it('parses host, port, database, credentials and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380, db: 0, tls: false, display: 'redis://127.0.0.1:6380' });
    expect(parseRedisUrl(' redis://localhost ')).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(parseRedisUrl('rediss://user:p%40ss%3Aword@cache.example:6380/3')).toEqual({
      host: 'cache.example',
      port: 6380,
      db: 3,
      username: 'user',
      password: 'p@ss:word',
      tls: true,
      display: 'rediss://user:***@cache.example:6380/3',
    });
    expect(parseRedisUrl('redis://:secret@[::1]:7000')).toMatchObject({ host: '::1', port: 7000, password: 'secret', display: 'redis://:***@[::1]:7000' });
  });

  it.each([
    [undefined, /REDIS_URL: is required/],
    ['', /REDIS_URL: is required/],
    ['localhost:6379', /REDIS_URL: scheme must be redis: or rediss:/],
    ['http://localhost', /REDIS_URL: scheme must be/],
    ['not a url', /REDIS_URL: is not a URL/],
    ['redis://host:99999', /REDIS_URL: is not a URL/],
    ['redis://host/abc', /REDIS_URL: path must be a database number/],
    ['redis://host?family=6', /REDIS_URL: must not have a query/],
  ])('rejects %j naming REDIS_URL', (value, message) => {
    let error: unknown;
    try {
      parseRedisUrl(value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe('REDIS_URL');
    expect((error as InvalidArgumentError).message).toMatch(message);
  });

  it('never echoes a password in an error', () => {
    expect(() => parseRedisUrl('redis://:hunter2@host/x')).toThrow(/path must be/);
    expect(() => parseRedisUrl('redis://:hunter2@host/x')).not.toThrow(/hunter2/);
  });

  it('makes plugin.create fail with InvalidArgumentError before connecting', async () => {
    await expect(plugin.create({ config: {}, logger: pino({ level: 'silent' }) })).rejects.toMatchObject({ field: 'REDIS_URL' });
    await expect(plugin.create({ config: { REDIS_URL: 'ftp://x' }, logger: pino({ level: 'silent' }) })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
