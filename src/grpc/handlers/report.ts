import { status } from '@grpc/grpc-js';
import { isInternal, toServiceError } from '../status.ts';
import type { HandlerContext } from './context.ts';

/** Maps a failure to a status, logging our own bugs (never the client's mistakes) at error level, and counts it. */
export function reportError(context: HandlerContext, rpc: string, err: unknown) {
  if (isInternal(err)) context.logger.error({ err, rpc }, 'internal error');
  else context.logger.debug({ rpc, message: (err as Error).message }, 'call failed');
  const serviceError = toServiceError(err);
  countCall(context, rpc, serviceError.code);
  if (serviceError.code !== status.CANCELLED) context.metrics.recentErrors.add(rpc, status[serviceError.code], serviceError.details ?? String(err));
  return serviceError;
}

export function countCall(context: HandlerContext, rpc: string, code: status): void {
  context.metrics.calls.inc({ method: rpc, code: status[code] });
}
