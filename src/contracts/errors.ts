/**
 * Typed errors shared by the core, the stores and the transports. Each carries
 * a code; the gRPC transport maps codes to status codes in one place
 * (src/grpc/status.ts), so a store never needs to know about gRPC.
 */
export type SluiceErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'CANCELLED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL';

export class SluiceError extends Error {
  readonly code: SluiceErrorCode;
  /** True when the same call may succeed later without changing it. */
  readonly retryable: boolean;

  constructor(code: SluiceErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? code === 'UNAVAILABLE';
  }
}

/** A request field is missing or malformed. `field` names it as on the wire. */
export class InvalidArgumentError extends SluiceError {
  readonly field: string;
  /** What is wrong with the field, without its name. */
  readonly reason: string;
  constructor(field: string, reason: string) {
    super('INVALID_ARGUMENT', `${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/** A referenced thing (session, partition, topic) does not exist. */
export class NotFoundError extends SluiceError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** A store (or the gateway itself) cannot serve right now; retrying later may work. */
export class UnavailableError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super('UNAVAILABLE', message, { cause });
  }
}

/**
 * The caller has no valid credential. `reason` is a fixed, low-cardinality word
 * (counted in metrics); the message says it in words and never names a key.
 */
export class UnauthenticatedError extends SluiceError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super('UNAUTHENTICATED', message);
  }
}

/** The principal may not do `action` on `resource` (or may not touch another principal's session). */
export class PermissionDeniedError extends SluiceError {
  constructor(
    readonly action: string,
    readonly resource: string,
  ) {
    super('PERMISSION_DENIED', `not allowed to ${action} ${resource}`);
  }
}

/** A per-principal limit is reached; the same call may succeed after `retryAfterMs`. */
export class LimitExceededError extends SluiceError {
  constructor(
    readonly limit: string,
    readonly retryAfterMs: number,
    message: string,
  ) {
    super('RESOURCE_EXHAUSTED', `${message} (limit ${limit}; retry after ${retryAfterMs} ms)`, { retryable: true });
  }
}

export function isSluiceError(err: unknown): err is SluiceError {
  return err instanceof SluiceError;
}
