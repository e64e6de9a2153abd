import { describe, expect, it } from 'vitest';
import { LimitExceededError } from '../../src/contracts/index.ts';
import { Limits, TokenBucket } from '../../src/auth/index.ts';

describe('token bucket', () => {
  it('allows a burst, then refills at the rate, and says how long to wait', () => {
    const bucket = new TokenBucket(10, 20, 0);
    expect(bucket.take(20, 0)).toBe(0);
    expect(bucket.take(1, 0)).toBe(100); // one token every 100 ms
    expect(bucket.take(5, 500)).toBe(0); // 5 tokens refilled in 500 ms
    expect(bucket.take(25, 500)).toBe(2500); // more than the burst: the time the rate needs
  });
});

describe('per-principal limits', () => {
  it('keep each principal apart and release streams once', () => {
    let now = 0;
    const limits = new Limits((id) => (id === 'key:slow' ? { publishPerSecond: 2, subscribeStreams: 1 } : {}), () => now);
    limits.takePublish('key:slow', 2);
    expect(() => limits.takePublish('key:slow', 1)).toThrow(LimitExceededError);
    limits.takePublish('key:fast', 10_000); // unaffected
    now = 500;
    limits.takePublish('key:slow', 1);

    const release = limits.openStream('key:slow', 'subscribe');
    const err = (() => {
      try {
        limits.openStream('key:slow', 'subscribe');
      } catch (e) {
        return e as LimitExceededError;
      }
    })();
    expect(err?.limit).toBe('subscribeStreams');
    expect(err?.message).toMatch(/1 concurrent Subscribe streams already open/);
    limits.openStream('key:other', 'subscribe');
    release();
    release(); // idempotent: does not free a slot it never held
    limits.openStream('key:slow', 'subscribe');
    expect(() => limits.openStream('key:slow', 'subscribe')).toThrow(LimitExceededError);
  });
});
