import type { RecordFilterSpec } from '../filtering/index.ts';
import type { AutoOffsetReset, CloudEvent, StoredRecord } from '../contracts/index.ts';

export interface PublishCommand {
  topic: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  event: CloudEvent | null;
  headers: ReadonlyMap<string, Uint8Array>;
}

export interface SubscribeCommand {
  topic: string;
  group: string;
  groupVersion: number;
  autoOffsetReset: AutoOffsetReset;
  /** The authenticated principal that opens the session; only it may receive from or ack through it. */
  owner?: string | undefined;
  /** Deliver only matching records (Sluice extension); undefined or empty: all. */
  filter?: RecordFilterSpec | undefined;
}

export interface AssignmentEvent {
  sessionId: string;
  partition: number;
}

export interface ReceiveCommand {
  sessionId: string;
  partition: number;
  /** Records at or below it are skipped; 0n means "none known". */
  lastKnownOffset: bigint;
}

/**
 * Sent to a filtered Receive instead of records that did not match: every
 * record after the last one delivered, up to and including `skippedThrough`,
 * was filtered out, so the consumer may ack `skippedThrough`.
 */
export interface SkippedRecords {
  skippedThrough: bigint;
}

/** What a Receive yields: records, and for a filtered subscription skip markers. */
export type ReceivedItem = DeliveredRecord | SkippedRecords;

export interface DeliveredRecord extends StoredRecord {
  /** True when some version of the group has already acked this offset. */
  replay: boolean;
}

/** Either names a live session (assignment form) or the group itself (stateless form). */
export type AckCommand =
  | { kind: 'session'; sessionId: string; partition: number; offset: bigint }
  | { kind: 'group'; topic: string; group: string; groupVersion: number; partition: number; offset: bigint };

export interface OffsetsQuery {
  topic: string;
  group: string;
  groupVersion: number;
}
