import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Handles one GET path; may keep the response open (server-sent events). */
export type Route = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface AdminServer {
  readonly port: number;
  /** Closes open responses (event streams) and stops listening. */
  close(): Promise<void>;
}

/**
 * The admin HTTP port (METRICS_PORT): metrics, health, readiness and the
 * dashboard, each a GET route. Read-only: any other method gets 405.
 */
export async function serveAdmin(routes: Readonly<Record<string, Route>>, host: string, port: number): Promise<AdminServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://admin').pathname;
    const route = routes[path];
    if (route === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; try ${Object.keys(routes).join(' ')}\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    Promise.resolve()
      .then(() => route(request, response))
      .catch(() => {
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
