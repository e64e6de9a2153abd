export { Gateway, type SubscriptionHandle } from './gateway.ts';
export type * from './types.ts';
export { resolveGroupId } from './group-id.ts';
export { linkSignals, type LinkedSignal } from './linked-signal.ts';
