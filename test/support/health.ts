import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const HEALTH_PROTO = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');

type HealthClient = grpc.Client & { Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }> };

/**
 * grpc.health.v1.Health/Watch on one service: every status the server sends,
 * and a wait for the next one matching.
 */
export function watchHealth(address: string, service: string) {
  const definition = grpc.loadPackageDefinition(protoLoader.loadSync(HEALTH_PROTO, { keepCase: true, defaults: true, enums: String }));
  const Health = (definition.grpc as never as { health: { v1: { Health: grpc.ServiceClientConstructor } } }).health.v1.Health;
  const client = new Health(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
  const stream = client.Watch({ service });
  const seen: string[] = [];
  const waiters: Array<{ status: string; resolve: () => void }> = [];
  stream.on('data', ({ status }: { status: string }) => {
    seen.push(status);
    for (const waiter of waiters.filter((w) => w.status === status)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  stream.on('error', () => undefined);
  return {
    seen,
    /** Resolves once the latest status is `status` (at once when it already is). */
    until(status: string): Promise<void> {
      if (seen.at(-1) === status) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ status, resolve }));
    },
    close(): void {
      stream.cancel();
      client.close();
    },
  };
}
