import { readFileSync } from 'node:fs';
import { credentials, InterceptingCall, Metadata, status, type ChannelCredentials, type Interceptor } from '@grpc/grpc-js';

/**
 * A bearer token (a JWT or an API key), or a function returning the current
 * one. The function is called at the start of every call, so one that
 * refreshes an expiring token keeps the client working; the gateway checks a
 * token when a call starts, so an open stream outlives its token.
 */
export type TokenSource = string | (() => string | Promise<string>);

/** TLS to the gateway: PEM contents or file paths. A client certificate and key give mutual TLS. */
export interface TlsOptions {
  /** CA that signed the gateway's certificate; the system's roots when absent. */
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
}

/** Adds `authorization: Bearer <token>` to every call; a token function that fails fails the call with UNAUTHENTICATED. */
export function tokenInterceptor(token: TokenSource): Interceptor {
  return (options, next) =>
    new InterceptingCall(next(options), {
      start(metadata, listener, start) {
        Promise.resolve()
          .then(() => (typeof token === 'function' ? token() : token))
          .then(
            (value) => {
              metadata.set('authorization', `Bearer ${value}`);
              start(metadata, listener);
            },
            (err: unknown) => {
              listener.onReceiveStatus({
                code: status.UNAUTHENTICATED,
                details: `the token callback failed: ${err instanceof Error ? err.message : String(err)}`,
                metadata: new Metadata(),
              });
            },
          );
      },
    });
}

export function tlsCredentials(tls: TlsOptions): ChannelCredentials {
  return credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
}

/** PEM text or bytes pass through; anything else names a file. */
function pem(value: Buffer | string | undefined): Buffer | null {
  if (value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  return value.includes('-----BEGIN') ? Buffer.from(value) : readFileSync(value);
}
