import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { isSluiceError, type SluiceErrorCode } from '../contracts/index.ts';

const STATUS_BY_CODE: Record<SluiceErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  CANCELLED: status.CANCELLED,
  INTERNAL: status.INTERNAL,
};

/**
 * The one place where failures become gRPC statuses. Typed errors keep their
 * meaning; anything else is a bug of ours and becomes INTERNAL without leaking
 * internals to the client.
 */
export function toServiceError(err: unknown): Partial<ServiceError> & { code: status } {
  if (isSluiceError(err)) {
    return { name: err.name, message: err.message, code: STATUS_BY_CODE[err.code], details: err.message, metadata: new Metadata() };
  }
  return { name: 'InternalError', message: 'internal error', code: status.INTERNAL, details: 'internal error', metadata: new Metadata() };
}

export function isInternal(err: unknown): boolean {
  return !isSluiceError(err) || err.code === 'INTERNAL';
}
