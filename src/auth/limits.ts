import { LimitExceededError } from '../contracts/index.ts';

export interface LimitSpec {
  /** Records per second a principal may publish (a token bucket); unlimited when absent. */
  publishPerSecond?: number | undefined;
  /** Bucket size: records that may be published at once after a pause. Defaults to one second's worth. */
  publishBurst?: number | undefined;
  /** Concurrent Subscribe streams. */
  subscribeStreams?: number | undefined;
  /** Concurrent Receive (and ReceiveBatch) streams. */
  receiveStreams?: number | undefined;
}

/** Refills continuously at `rate` per second up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes `n` tokens and returns 0, or takes none and returns the ms to wait until `n` are there. */
  take(n: number, now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (n > this.burst) return Math.ceil((n / this.rate) * 1000);
    if (this.tokens >= n) {
      this.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil(((n - this.tokens) / this.rate) * 1000));
  }
}

interface PrincipalState {
  bucket?: TokenBucket;
  subscribe: number;
  receive: number;
}

/**
 * Per-principal limits. State lives per principal id, so one principal at its
 * limit leaves every other untouched. `limitsFor` is read at each call, so a
 * reloaded file applies to the next call.
 */
export class Limits {
  private readonly states = new Map<string, PrincipalState>();

  constructor(
    private limitsFor: (principalId: string) => LimitSpec,
    private readonly now: () => number = Date.now,
  ) {}

  /** New limits (a reloaded file): rate buckets start again full, open streams keep counting. */
  update(limitsFor: (principalId: string) => LimitSpec): void {
    this.limitsFor = limitsFor;
    for (const state of this.states.values()) delete state.bucket;
  }

  takePublish(principalId: string, records: number): void {
    const spec = this.limitsFor(principalId);
    if (spec.publishPerSecond === undefined) return;
    const state = this.state(principalId);
    state.bucket ??= new TokenBucket(spec.publishPerSecond, spec.publishBurst ?? spec.publishPerSecond, this.now());
    const wait = state.bucket.take(records, this.now());
    if (wait > 0) throw new LimitExceededError('publishPerSecond', wait, `publish rate of ${spec.publishPerSecond} records/s reached`);
  }

  /** Counts one more open stream; returns its release (idempotent). */
  openStream(principalId: string, kind: 'subscribe' | 'receive'): () => void {
    const spec = this.limitsFor(principalId);
    const max = kind === 'subscribe' ? spec.subscribeStreams : spec.receiveStreams;
    const state = this.state(principalId);
    if (max !== undefined && state[kind] >= max) {
      // Streams end when clients close them: a second is a fair first retry.
      throw new LimitExceededError(`${kind}Streams`, 1000, `${max} concurrent ${kind === 'subscribe' ? 'Subscribe' : 'Receive'} streams already open`);
    }
    state[kind]++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state[kind]--;
      if (state.subscribe === 0 && state.receive === 0 && state.bucket === undefined) this.states.delete(principalId);
    };
  }

  private state(principalId: string): PrincipalState {
    let state = this.states.get(principalId);
    if (state === undefined) {
      state = { subscribe: 0, receive: 0 };
      this.states.set(principalId, state);
    }
    return state;
  }
}
