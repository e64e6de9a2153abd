import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { ConfigError } from '../config.ts';

export interface TlsFiles {
  certFile?: string | undefined;
  keyFile?: string | undefined;
  clientCaFile?: string | undefined;
}

/** Plaintext without certificate files; TLS with them; mutual TLS with a client CA too. */
export function serverCredentials(tls: TlsFiles): ServerCredentials {
  if (tls.certFile === undefined || tls.keyFile === undefined) return ServerCredentials.createInsecure();
  const clientCa = tls.clientCaFile === undefined ? null : read('GRPC_TLS_CLIENT_CA_FILE', tls.clientCaFile);
  return ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: read('GRPC_TLS_CERT_FILE', tls.certFile), private_key: read('GRPC_TLS_KEY_FILE', tls.keyFile) }],
    clientCa !== null,
  );
}

function read(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path}: ${(err as Error).message}`);
  }
}
