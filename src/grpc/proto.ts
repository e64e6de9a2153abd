import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

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
