import type { HealthMonitor } from '../health/monitor.ts';
import type { Route } from './server.ts';

/**
 * /healthz: the process serves HTTP (liveness: restart it when this fails).
 * /readyz: both stores reachable and not shutting down (readiness: send it
 * traffic); 503 otherwise. Both answer with the monitor's state as JSON.
 */
export function healthRoutes(monitor: HealthMonitor): Record<string, Route> {
  const body = (status: string) => `${JSON.stringify({ status, ...monitor.state })}\n`;
  return {
    '/healthz': (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body('alive'));
    },
    '/readyz': (_request, response) => {
      const ready = monitor.state.ready;
      response
        .writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(body(ready ? 'ready' : 'not ready'));
    },
  };
}
