import * as grpc from '@grpc/grpc-js';
import { TestClient } from './client.ts';

/** Client options that send `authorization: <value>` (or the given metadata) on every call, over any channel. */
export function withMetadata(entries: ReadonlyArray<[string, string | Buffer]>): grpc.ClientOptions {
  const interceptor: grpc.Interceptor = (options, next) =>
    new grpc.InterceptingCall(next(options), {
      start(metadata, listener, start) {
        for (const [key, value] of entries) metadata.add(key, value);
        start(metadata, listener);
      },
    });
  return { interceptors: [interceptor] };
}

export function withToken(token: string): grpc.ClientOptions {
  return withMetadata([['authorization', `Bearer ${token}`]]);
}

/**
 * Test clients that each present one of `keys` as a bearer token, to a
 * gateway whose address is known only once it started; `close()` closes all.
 */
export function keyedClients<K extends string>(keys: Readonly<Record<K, string>>, address: () => string) {
  const clients: TestClient[] = [];
  return {
    as(who: K): TestClient {
      const client = new TestClient(address(), grpc.credentials.createInsecure(), withToken(keys[who]));
      clients.push(client);
      return client;
    },
    close(): void {
      clients.forEach((c) => c.close());
    },
  };
}
