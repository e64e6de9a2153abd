/**
 * The wire messages as @grpc/proto-loader presents them with LOADER_OPTIONS
 * (src/grpc/proto.ts). Incoming messages have every field (defaults: true);
 * outgoing ones may leave fields out.
 */

export interface LiiklusEventMessage {
  id: string;
  type: string;
  source: string;
  time: string;
  dataContentType: string;
  data: Uint8Array;
  extensions: Record<string, string>;
}

export interface PublishRequest {
  topic: string;
  key: Buffer;
  value: Buffer;
  liiklusEvent?: LiiklusEventMessage | null;
  event?: 'liiklusEvent';
  headers: Record<string, Buffer>;
}

export interface PublishReply {
  partition: number;
  offset: string;
  topic: string;
}

export type AutoOffsetResetName = 'EARLIEST' | 'LATEST';

export interface SubscribeRequest {
  topic: string;
  group: string;
  groupVersion: number;
  autoOffsetReset: AutoOffsetResetName | number;
  filter: RecordFilterMessage | null;
}

export interface RecordFilterMessage {
  eventType: string;
  eventTypePrefix: string;
  headers: Record<string, Uint8Array>;
  keyPrefix: Uint8Array;
}

export interface AssignmentMessage {
  sessionId: string;
  partition: number;
}

export interface SubscribeReply {
  assignment: AssignmentMessage;
}

export interface AckRequest {
  assignment: AssignmentMessage | null;
  topic: string;
  group: string;
  groupVersion: number;
  partition: number;
  offset: string;
}

export type ContentFormatName = 'BINARY' | 'LIIKLUS_EVENT';

export interface ReceiveRequest {
  assignment: AssignmentMessage | null;
  lastKnownOffset: string;
  format: ContentFormatName | number;
  /** Sluice field 1000: an event in BINARY as binary content mode (data + ce_* headers) rather than a JSON document. */
  cloudeventsBinaryMode?: boolean;
}

export interface TimestampMessage {
  seconds: string;
  nanos: number;
}

export interface RecordMessage {
  offset: string;
  key: Uint8Array;
  value: Uint8Array;
  timestamp: TimestampMessage;
  replay: boolean;
  headers: Record<string, Uint8Array>;
}

export interface LiiklusEventRecordMessage {
  offset: string;
  key: Uint8Array;
  event: LiiklusEventMessage;
  timestamp: TimestampMessage;
  replay: boolean;
}

export type ReceiveReply = { record: RecordMessage } | { liiklusEventRecord: LiiklusEventRecordMessage } | { skipped: { offset: string } };

export interface GetOffsetsRequest {
  topic: string;
  group: string;
  groupVersion: number;
}

export interface GetEndOffsetsRequest {
  topic: string;
}

export interface OffsetsReply {
  offsets: Record<string, string>;
}

export interface ReceiveBatchRequest {
  request: ReceiveRequest | null;
  maxRecords: number;
  maxBytes: number;
}

export interface PublishBatchRequest {
  records: PublishRequest[];
}

export interface NackRequest {
  topic: string;
  group: string;
  groupVersion: number;
  partition: number;
  offset: string;
  key: Buffer;
  value: Buffer;
  headers: Record<string, Buffer>;
  liiklusEvent?: LiiklusEventMessage | null;
  event?: 'liiklusEvent';
  reason: string;
  deadLetter: boolean;
  delayMs: number;
  maxAttempts: number;
}

export interface NackReply {
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
  deadLettered: boolean;
  retryAt: TimestampMessage | null;
}
