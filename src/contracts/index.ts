export * from './errors.ts';
export type * from './records.ts';
export type * from './positions.ts';
export type * from './plugin.ts';
export * from './partitioning.ts';
export * from './position-bounds.ts';
export * from './linked-signal.ts';
export * from './record-block.ts';
export * from './cloudevent-headers.ts';
