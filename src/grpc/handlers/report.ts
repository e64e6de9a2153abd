import type { Logger } from 'pino';
import { isInternal, toServiceError } from '../status.ts';

/** Maps a failure to a status, logging our own bugs (never the client's mistakes) at error level. */
export function reportError(logger: Logger, rpc: string, err: unknown) {
  if (isInternal(err)) logger.error({ err, rpc }, 'internal error');
  else logger.debug({ rpc, message: (err as Error).message }, 'call failed');
  return toServiceError(err);
}
