import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodePublishBatchRequest, decodePublishRequest } from './decoding.ts';

export const PROTO_PATH = fileURLToPath(new URL('../../proto/LiiklusService.proto', import.meta.url));
export const SERVICE_NAME = 'com.github.bsideup.liiklus.LiiklusService';

/**
 * How messages look in JavaScript: camelCase fields, 64-bit integers as
 * decimal strings (exact, then turned into bigint), enums by name, a virtual
 * field naming the set member of each oneof, defaults filled in.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export function loadPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS);
}

export function liiklusService(definition: protoLoader.PackageDefinition): grpc.ServiceDefinition {
  const service = definition[SERVICE_NAME];
  if (service === undefined || !('Publish' in service)) throw new Error(`${SERVICE_NAME} is missing from ${PROTO_PATH}`);
  return service as grpc.ServiceDefinition;
}

/** The RPCs Sluice adds to Liiklus's (the gateway can leave them out: GRPC_BATCHED_RPCS=false). */
export const BATCHED_RPCS = ['ReceiveBatch', 'PublishBatch'] as const;

/** Methods whose handlers hand grpc-js replies already encoded (src/grpc/encoding.ts). */
const PRE_ENCODED = ['Publish', 'PublishBatch', 'Receive', 'ReceiveBatch'];

/** Methods whose requests are decoded by hand (src/grpc/decoding.ts), into the shapes protobufjs gives. */
const HAND_DECODED: Record<string, (bytes: Buffer) => unknown> = { Publish: decodePublishRequest, PublishBatch: decodePublishBatchRequest };

/**
 * The service as the server registers it: the record path's replies are
 * encoded by hand, so their serializer passes the bytes through, and the
 * publish requests are decoded by hand; the batched
 * RPCs are left out when `batched` is false (clients then get UNIMPLEMENTED).
 */
export function serverService(definition: protoLoader.PackageDefinition, options: { batched: boolean }): grpc.ServiceDefinition {
  const service: Record<string, grpc.MethodDefinition<unknown, unknown>> = { ...liiklusService(definition) };
  for (const name of PRE_ENCODED) {
    const method = service[name];
    if (method) service[name] = { ...method, responseSerialize: (bytes) => bytes as Buffer };
  }
  for (const [name, decode] of Object.entries(HAND_DECODED)) {
    const method = service[name];
    if (method) service[name] = { ...method, requestDeserialize: decode };
  }
  if (!options.batched) for (const name of BATCHED_RPCS) delete service[name];
  return service as grpc.ServiceDefinition;
}
