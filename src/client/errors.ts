import { status, type ServiceError } from '@grpc/grpc-js';

/** A failed call: the gRPC status code and the gateway's details ("topic: must not be empty"). */
export class SluiceClientError extends Error {
  override readonly name = 'SluiceClientError';

  constructor(
    /** The gRPC status code (`status.UNAVAILABLE`, ...). */
    readonly code: status,
    /** The details the gateway (or grpc-js) gave. */
    readonly details: string,
    /** What was being done: "Publish", "Subscribe", ... */
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed: ${status[code] ?? code}: ${details}`, options);
  }

  /** The status code's name: "UNAVAILABLE", "INVALID_ARGUMENT", ... */
  get codeName(): string {
    return status[this.code] ?? String(this.code);
  }

  /** True when the gateway could not be reached or is restarting: retrying later may succeed. */
  get unavailable(): boolean {
    return this.code === status.UNAVAILABLE;
  }

  /** When the gateway refused the call over a limit (RESOURCE_EXHAUSTED): how long to wait before retrying. */
  get retryAfterMs(): number | undefined {
    const value = (this.cause as Partial<ServiceError> | undefined)?.metadata?.get('retry-after-ms')[0];
    const ms = Number(value);
    return value === undefined || !Number.isFinite(ms) ? undefined : ms;
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/** Wraps whatever grpc-js reported; a SluiceClientError passes through unchanged. */
export function toClientError(err: unknown, operation: string): SluiceClientError {
  if (err instanceof SluiceClientError) return err;
  if (isServiceError(err)) return new SluiceClientError(err.code, err.details || err.message, operation, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new SluiceClientError(status.UNKNOWN, message, operation, { cause: err });
}
