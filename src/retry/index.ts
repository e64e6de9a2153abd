export * from './headers.ts';
export * from './policy.ts';
export { holdUntilDue, type HoldCounts } from './hold.ts';
