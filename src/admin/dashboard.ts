import { readFileSync } from 'node:fs';
import { catchError, EMPTY, exhaustMap, from, interval, share, startWith, type Observable, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { PositionsStore } from '../contracts/index.ts';
import type { DashboardState, DashboardView } from './dashboard-state.ts';
import type { Route } from './server.ts';

export interface DashboardOptions {
  /** Time between two states pushed to open pages. */
  refreshMs: number;
  /** Time between two reports of this gateway to the positions store; they expire after 5 of these. */
  reportMs: number;
}

/** An event stream that lets this much pile up unsent (a stalled browser) skips states instead. */
const MAX_UNSENT_BYTES = 1024 * 1024;

const PAGE = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');

/**
 * The read-only dashboard on the admin port: the page (/dashboard), its
 * state as JSON (/dashboard/state) and live as server-sent events
 * (/dashboard/events: one state per refreshMs, built once for all open pages).
 * Also publishes this gateway's sessions to the positions store, so that the
 * dashboard of every gateway sharing it shows who holds what.
 */
export class Dashboard {
  private readonly states: Observable<DashboardState>;
  private reporting: Subscription | undefined;

  constructor(
    private readonly view: DashboardView,
    private readonly positions: PositionsStore,
    private readonly options: DashboardOptions,
    private readonly logger: Logger,
  ) {
    this.states = interval(options.refreshMs).pipe(
      startWith(0),
      exhaustMap(() =>
        from(view.build()).pipe(
          catchError((err: unknown) => {
            logger.warn({ err }, 'dashboard state failed');
            return EMPTY;
          }),
        ),
      ),
      share(),
    );
  }

  routes(): Record<string, Route> {
    return {
      '/dashboard': (_request, response) => {
        response
          .writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            // Everything is inline; nothing is loaded from elsewhere.
            'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
          })
          .end(PAGE);
      },
      '/dashboard/state': async (_request, response) => {
        const state = await this.view.build();
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(state));
      },
      '/dashboard/events': (request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        response.write(`retry: ${this.options.refreshMs * 2}\n\n`);
        const subscription = this.states.subscribe((state) => {
          if (response.writableLength > MAX_UNSENT_BYTES) return;
          response.write(`data: ${JSON.stringify(state)}\n\n`);
        });
        request.on('close', () => subscription.unsubscribe());
      },
    };
  }

  /** Starts publishing this gateway's report, when the positions store keeps reports. */
  start(): void {
    const publish = this.positions.publishGatewayReport?.bind(this.positions);
    if (publish === undefined || this.reporting) return;
    const ttlMs = this.options.reportMs * 5;
    this.reporting = interval(this.options.reportMs)
      .pipe(
        startWith(0),
        exhaustMap(() => {
          const report = this.view.report();
          return from(publish(report.id, JSON.stringify(report), ttlMs)).pipe(
            catchError((err: unknown) => {
              this.logger.debug({ err }, 'cannot publish the gateway report');
              return EMPTY;
            }),
          );
        }),
      )
      .subscribe();
  }

  stop(): void {
    this.reporting?.unsubscribe();
  }
}
