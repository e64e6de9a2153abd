/**
 * sluice/client: a Node.js client for Sluice (and any Liiklus-compatible gateway).
 * See docs/client-and-cli.md.
 */
export { connect, SluiceClient } from './client.ts';
export { SluiceClientError } from './errors.ts';
export type { TlsOptions, TokenSource } from './auth.ts';
export { PartitionStream, type EndReason } from './partition-stream.ts';
export { Subscription, type AckEvent } from './subscription.ts';
export { backoffDelay } from './backoff.ts';
export type {
  AckMode,
  AckReason,
  BytesLike,
  ConnectOptions,
  ConsumedRecord,
  EventInput,
  LiiklusEvent,
  NackOptions,
  NackResult,
  RecordOrigin,
  RetryOptions,
  PublishOptions,
  PublishRecord,
  PublishResult,
  ReconnectOptions,
  RecordFilter,
  SubscribeOptions,
  SubscriptionEvent,
} from './types.ts';
