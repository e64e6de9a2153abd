import type { status } from '@grpc/grpc-js';

/** Resolves with the call's gRPC error, or null when it succeeded. */
export function failure(call: Promise<unknown>): Promise<{ code: status; details: string } | null> {
  return call.then(
    () => null,
    (err: { code: status; details: string }) => err,
  );
}
