import * as grpc from '@grpc/grpc-js';

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
