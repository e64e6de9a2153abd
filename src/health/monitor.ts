import { BehaviorSubject, distinctUntilChanged, exhaustMap, from, interval, map, startWith, type Observable, type Subscription } from 'rxjs';
import type { Logger } from 'pino';

/** Anything with a reachability probe: the stores (whose `ping` is optional). */
export interface Probed {
  ping?(): Promise<void>;
}

export interface StoreHealth {
  up: boolean;
  /** How long the last probe took (until it answered, failed or timed out). */
  latencyMs: number;
  /** Date.now() of the last probe; 0 before the first. */
  checkedAt: number;
  /** Why the last probe failed. */
  error?: string;
}

export interface HealthState {
  records: StoreHealth;
  positions: StoreHealth;
  shuttingDown: boolean;
  /** Both stores reachable and not shutting down. */
  ready: boolean;
}

export interface HealthOptions {
  /** Time between probes. */
  intervalMs: number;
  /** A probe without an answer for this long counts as down. */
  timeoutMs: number;
}

type StoreName = 'records' | 'positions';

/**
 * Probes both stores on a timer (never two probes of one round at once: a slow
 * round is not overlapped by the next) and holds the readiness the health
 * endpoints report: ready while both stores answer and the gateway is not
 * shutting down. Stores are taken as up at start: they connected moments ago.
 */
export class HealthMonitor {
  private readonly subject: BehaviorSubject<HealthState>;
  private timer: Subscription | undefined;

  constructor(
    private readonly stores: Record<StoreName, Probed>,
    private readonly options: HealthOptions,
    private readonly logger: Logger,
  ) {
    const up: StoreHealth = { up: true, latencyMs: 0, checkedAt: 0 };
    this.subject = new BehaviorSubject<HealthState>({ records: up, positions: up, shuttingDown: false, ready: true });
  }

  get state(): HealthState {
    return this.subject.value;
  }

  /** Every state, the current one first. */
  get states(): Observable<HealthState> {
    return this.subject.asObservable();
  }

  /** Readiness, the current value first, then each change. */
  get readiness(): Observable<boolean> {
    return this.subject.pipe(
      map((state) => state.ready),
      distinctUntilChanged(),
    );
  }

  start(): void {
    this.timer ??= interval(this.options.intervalMs)
      .pipe(
        startWith(0),
        exhaustMap(() => from(this.probeAll())),
      )
      .subscribe();
  }

  /** Not ready from now on, whatever the stores say. */
  beginShutdown(): void {
    this.publish({ ...this.state, shuttingDown: true });
  }

  stop(): void {
    this.timer?.unsubscribe();
    this.subject.complete();
  }

  /** One round: both stores at once. Never rejects (an error in an rxjs callback would kill the process). */
  async probeAll(): Promise<HealthState> {
    const [records, positions] = await Promise.all([this.probe('records'), this.probe('positions')]);
    this.publish({ ...this.state, records, positions });
    return this.state;
  }

  private async probe(name: StoreName): Promise<StoreHealth> {
    const start = performance.now();
    const ping = this.stores[name].ping?.bind(this.stores[name]);
    let timer: NodeJS.Timeout | undefined;
    let result: StoreHealth;
    try {
      if (ping) {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
        });
        await Promise.race([ping(), timeout]);
      }
      result = { up: true, latencyMs: performance.now() - start, checkedAt: Date.now() };
    } catch (err) {
      result = { up: false, latencyMs: performance.now() - start, checkedAt: Date.now(), error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
    const before = this.state[name];
    if (before.up && !result.up) this.logger.warn({ store: name, reason: result.error }, `${name} store unreachable: not ready`);
    if (!before.up && result.up) this.logger.info({ store: name }, `${name} store reachable again`);
    return result;
  }

  private publish(state: HealthState): void {
    if (this.subject.closed) return;
    this.subject.next({ ...state, ready: state.records.up && state.positions.up && !state.shuttingDown });
  }
}
