import type { Logger } from 'pino';
import type { Gateway } from '../../gateway/index.ts';
import type { Metrics } from '../../metrics/metrics.ts';

export interface HandlerContext {
  gateway: Gateway;
  logger: Logger;
  /** Aborts when the server shuts down: open streams end with UNAVAILABLE. */
  shutdown: AbortSignal;
  metrics: Metrics;
  /** GRPC_MAX_MESSAGE_BYTES: a record whose reply would be larger ends its Receive with FAILED_PRECONDITION. */
  maxMessageBytes?: number;
}
