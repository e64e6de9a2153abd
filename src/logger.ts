import pino, { type Logger } from 'pino';

/**
 * JSON logs on stdout. A stdout whose reader went away (EPIPE) must neither
 * crash the gateway nor stall its shutdown: write errors are dropped. (Seen:
 * with the reader gone, the first log line of a SIGTERM left the process
 * hanging instead of shutting down.)
 */
export function createLogger(level: string): Logger {
  const destination = pino.destination({ dest: 1, sync: true });
  destination.on('error', () => undefined);
  return pino({ level }, destination);
}
