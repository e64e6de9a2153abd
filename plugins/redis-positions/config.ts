import { z } from 'zod';
import { InvalidArgumentError } from '../../src/contracts/index.ts';

/** Where and how to reach Redis, parsed from REDIS_URL. */
export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL without its password, for messages and logs. */
  display: string;
}

const KEY = 'REDIS_URL';
const HINT = 'expected redis://[[user]:password@]host[:port][/db] or rediss://… for TLS';

/** Parses a REDIS_URL value; throws InvalidArgumentError naming REDIS_URL. Never echoes a password. */
export function parseRedisUrl(value: unknown): RedisConnection {
  const parsed = z.string({ error: 'is required' }).trim().min(1, 'is required').safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(KEY, `${parsed.error.issues[0]?.message ?? 'is invalid'} (${HINT})`);
  let url: URL;
  try {
    url = new URL(parsed.data);
  } catch {
    throw new InvalidArgumentError(KEY, `is not a URL (${HINT})`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError(KEY, `scheme must be redis: or rediss: (TLS), not ${url.protocol} (${HINT})`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new InvalidArgumentError(KEY, `has no host (${HINT})`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^(0|[1-9][0-9]{0,4})$/.test(path)) {
    throw new InvalidArgumentError(KEY, `path must be a database number, not "/${path}" (${HINT})`);
  }
  if (url.search !== '' || url.hash !== '') throw new InvalidArgumentError(KEY, `must not have a query or fragment (${HINT})`);
  const display = new URL(url.href);
  if (display.password) display.password = '***';
  return {
    host,
    port,
    db: path === '' ? 0 : Number(path),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    tls: url.protocol === 'rediss:',
    display: display.href.replace(/\/$/, ''),
  };
}
