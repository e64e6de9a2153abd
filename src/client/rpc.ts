import type { CallOptions, ClientUnaryCall, ServiceError } from '@grpc/grpc-js';
import { toClientError } from './errors.ts';

type UnaryMethod<Req, Res> = (request: Req, options: CallOptions, callback: (err: ServiceError | null, reply: Res) => void) => ClientUnaryCall;

/** Calls a unary method with a deadline; failures become SluiceClientError. */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, self: object, name: string, request: Req, timeoutMs: number): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(self, request, { deadline: Date.now() + timeoutMs }, (err, reply) => (err ? reject(toClientError(err, name)) : resolve(reply)));
  });
}

/** A map<uint32, uint64> reply as partition -> bigint offset, in partition order. */
export function toOffsetMap(offsets: Record<string, string>): Map<number, bigint> {
  return new Map(
    Object.entries(offsets)
      .map(([partition, offset]) => [Number(partition), BigInt(offset)] as const)
      .sort(([a], [b]) => a - b),
  );
}
