import type { RecordFilterSpec } from '../filtering/index.ts';
import type { AutoOffsetReset, CloudEvent, RecordRun } from '../contracts/index.ts';

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

/** Records of one partition as the store had them available, in offset order (at least one). */
export interface DeliveredBatch {
  /** As objects, or as a block (columns, no object per record) where the store made one and nothing needed objects. */
  records: RecordRun;
  /**
   * The replay watermark: a record at or below it is a replay (some version
   * of the group has already acked it); -1n when none. One figure per stream
   * rather than a flag copied onto every record.
   */
  replayThrough: bigint;
  /**
   * Set for a filtered subscription when the batch ends with records that did
   * not match: every record after the last one in `records`, up to and
   * including this offset, was filtered out, so the consumer may ack it.
   */
  skippedThrough?: bigint;
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

/** A record handed back instead of acked (Nack): copied to the group's retry or dead-letter topic. */
export interface NackCommand {
  /** Where the record was received: the group's topic or its retry topic. */
  topic: string;
  group: string;
  groupVersion: number;
  partition: number;
  offset: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  event: CloudEvent | null;
  headers: ReadonlyMap<string, Uint8Array>;
  reason: string;
  /** Dead-letter now, whatever the attempt. */
  deadLetter: boolean;
  /** 0: the policy's backoff. */
  delayMs: number;
  /** 0: the policy's maximum. */
  maxAttempts: number;
}

export interface NackResult {
  /** The retry or dead-letter topic, and where the copy landed there. */
  topic: string;
  partition: number;
  offset: bigint;
  /** Retry: the attempt the copy will be; dead letter: the attempts made. */
  attempt: number;
  deadLettered: boolean;
  /** When the retry copy is due (undefined for a dead letter). */
  retryAt: Date | undefined;
}
