export { Gateway, type GatewayOptions, type PublishCheck, type SessionView, type SubscriptionHandle } from './gateway.ts';
export type { PartitionActivity } from './activity.ts';
export type { StreamCounter } from './stream-stats.ts';
export type * from './types.ts';
export { resolveGroupId } from './group-id.ts';
export { linkSignals, type LinkedSignal } from './linked-signal.ts';
