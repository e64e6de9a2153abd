import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { isSluiceError, LimitExceededError, type SluiceErrorCode } from '../contracts/index.ts';
import { statusWithRetryInfo } from './retry-info.ts';

/** Metadata key with the retry delay in milliseconds, for clients that do not decode grpc-status-details-bin. */
export const RETRY_AFTER_MS_KEY = 'retry-after-ms';

const STATUS_BY_CODE: Record<SluiceErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  CANCELLED: status.CANCELLED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  INTERNAL: status.INTERNAL,
};

/**
 * The one place where failures become gRPC statuses. Typed errors keep their
 * meaning; anything else is a bug of ours and becomes INTERNAL without leaking
 * internals to the client.
 */
export function toServiceError(err: unknown): Partial<ServiceError> & { code: status } {
  if (isSluiceError(err)) {
    const code = STATUS_BY_CODE[err.code];
    const metadata = new Metadata();
    if (err instanceof LimitExceededError) {
      metadata.set(RETRY_AFTER_MS_KEY, String(err.retryAfterMs));
      metadata.set('grpc-status-details-bin', statusWithRetryInfo(code, err.message, err.retryAfterMs));
    }
    return { name: err.name, message: err.message, code, details: err.message, metadata };
  }
  return { name: 'InternalError', message: 'internal error', code: status.INTERNAL, details: 'internal error', metadata: new Metadata() };
}

export function isInternal(err: unknown): boolean {
  return !isSluiceError(err) || err.code === 'INTERNAL';
}
