import type { Logger } from 'pino';
import { config } from 'rxjs';

/**
 * rxjs rethrows an error that no subscriber handles (or one thrown inside a
 * subscriber's callback) from a timer: an uncaught exception that kills the
 * gateway and every stream on it (issue 9, defect 2). The gateway logs it
 * instead; it is a bug to fix, not a reason to drop every client.
 */
export function logUnhandledRxjsErrors(logger: Logger): void {
  config.onUnhandledError = (err: unknown) => logger.error({ err }, 'unhandled error in an rxjs callback (a bug): logged, not thrown');
}
