import { Metadata, ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from '@grpc/grpc-js';
import { isSluiceError } from '../contracts/index.ts';
import type { Guard } from './guard.ts';

const HEALTH = '/grpc.health.v1.Health/';
const REFLECTION = '/grpc.reflection.';

/**
 * Health and reflection are public by default (load balancers and grpcurl
 * carry no token); a security file with `public.health` or
 * `public.reflection` false makes them ask for a credential like any call.
 * LiiklusService calls pass through untouched: the guard handles them.
 */
export function publicServicesInterceptor(guard: Guard): ServerInterceptor {
  return (method, call) => {
    const policy = guard.currentPolicy;
    if (policy === undefined) return new ServerInterceptingCall(call);
    const protectedService = (method.path.startsWith(HEALTH) && !policy.public.health) || (method.path.startsWith(REFLECTION) && !policy.public.reflection);
    if (!protectedService) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next(
          new ServerListenerBuilder()
            .withOnReceiveMetadata((metadata, pass) => {
              guard.authenticateOnly(metadata, call).then(
                () => pass(metadata),
                (err: unknown) =>
                  call.sendStatus({
                    code: status.UNAUTHENTICATED,
                    details: isSluiceError(err) ? err.message : 'unauthenticated',
                    metadata: new Metadata(),
                  }),
              );
            })
            .build(),
        ),
    });
  };
}
