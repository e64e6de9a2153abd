import { setMaxListeners } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { Gateway } from '../gateway/index.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { batchLimits, receiveBatchHandler, receiveHandler } from './handlers/receive.ts';
import { subscribeHandler } from './handlers/subscribe.ts';
import { unaryHandlers } from './handlers/unary.ts';
import { loadPackageDefinition, serverService, SERVICE_NAME } from './proto.ts';
import { addReflection } from './reflection.ts';
import { installFramedMessages } from './framed-messages.ts';
import { serverCredentials, type TlsFiles } from './credentials.ts';
import { Guard, type GuardOptions } from './guard.ts';
import { InternalTopics } from '../auth/index.ts';
import { publicServicesInterceptor } from './public-services.ts';

export interface ServerLimits {
  /** Largest message accepted or sent. */
  maxMessageBytes: number;
  /** Cap on one HTTP/2 session's memory, in MiB (grpc/grpc-node#1332: otherwise unbounded). */
  maxSessionMemoryMiB: number;
  /** Concurrent streams per connection: one per Subscribe and per Receive. */
  maxConcurrentStreams: number;
  /** Ping each client after this long without activity... */
  keepaliveTimeMs: number;
  /** ...and drop it (releasing its partitions) when no answer comes within this. */
  keepaliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxSessionMemoryMiB: 32,
  maxConcurrentStreams: 1000,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
};

export interface SluiceServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /**
   * Stops accepting calls, ends open streams with UNAVAILABLE (clients retry
   * elsewhere), waits up to `graceMs` for calls to finish, then forces them.
   */
  shutdown(graceMs: number): Promise<void>;
}

export async function startServer(options: {
  gateway: Gateway;
  logger: Logger;
  metrics: Metrics;
  host: string;
  port: number;
  limits?: Partial<ServerLimits>;
  tls?: TlsFiles;
  /** Readiness (stores reachable) for the gRPC health service: SERVING while true. */
  readiness?: Observable<boolean>;
  /** Serve ReceiveBatch and PublishBatch (default true); false answers them UNIMPLEMENTED, as Liiklus does. */
  batchedRpcs?: boolean;
  /** Access control (src/grpc/guard.ts); without it only internal topics are refused. */
  access?: Omit<GuardOptions, 'session'>;
}): Promise<SluiceServer> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const framing = installFramedMessages();
  if (!framing.installed) options.logger.warn(`grpc-js copies every reply to frame it (slower): ${framing.reason}`);
  const shutdown = new AbortController();
  // Every open stream listens for shutdown: thousands of listeners are expected.
  setMaxListeners(0, shutdown.signal);
  const context = {
    gateway: options.gateway,
    logger: options.logger,
    shutdown: shutdown.signal,
    metrics: options.metrics,
    maxMessageBytes: limits.maxMessageBytes,
  };
  const guard = new Guard(
    { internalTopics: new InternalTopics(), ...options.access, session: (id) => options.gateway.sessionAccess(id) },
    context,
  );
  const server = new grpc.Server({
    interceptors: guard.currentPolicy === undefined ? [] : [publicServicesInterceptor(guard)],
    'grpc.max_receive_message_length': limits.maxMessageBytes,
    'grpc.max_send_message_length': limits.maxMessageBytes,
    'grpc-node.max_session_memory': limits.maxSessionMemoryMiB,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    // Notice dead clients so their partitions are released, not held forever.
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  });

  const definition = loadPackageDefinition();
  const batched = options.batchedRpcs ?? true;
  const { PublishBatch, ...unary } = unaryHandlers(context);
  server.addService(
    serverService(definition, { batched }),
    guard.wrap({
      ...unary,
      Subscribe: subscribeHandler(context),
      Receive: receiveHandler(context),
      ...(batched ? { PublishBatch, ReceiveBatch: receiveBatchHandler(context, batchLimits(limits.maxMessageBytes)) } : {}),
    }),
  );
  const health = new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  const setHealth = (status: 'SERVING' | 'NOT_SERVING') => {
    health.setStatus('', status);
    health.setStatus(SERVICE_NAME, status);
  };
  const readiness = options.readiness?.subscribe((ready) => setHealth(ready ? 'SERVING' : 'NOT_SERVING'));
  addReflection(server);

  const port = await new Promise<number>((resolve, reject) => {
    const address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
    server.bindAsync(address, serverCredentials(options.tls ?? {}), (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  let stopping: Promise<void> | undefined;
  return {
    port,
    shutdown(graceMs) {
      stopping ??= (async () => {
        readiness?.unsubscribe();
        setHealth('NOT_SERVING');
        guard.close();
        options.gateway.beginShutdown();
        shutdown.abort();
        const graceful = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
        if ((await Promise.race([graceful, deadline])) === 'timeout') {
          options.logger.warn({ graceMs }, 'calls still open after the grace period: forcing shutdown');
          server.forceShutdown();
        }
        clearTimeout(timer);
        await options.gateway.close();
      })();
      return stopping;
    },
  };
}
