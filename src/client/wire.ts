import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_PATH } from '../grpc/proto.ts';
import type { AssignmentMessage, LiiklusEventMessage, NackReply, TimestampMessage } from '../grpc/messages.ts';
import type { DecodedReply } from './decoding.ts';

export type { AssignmentMessage, TimestampMessage };
export type EventMessage = LiiklusEventMessage;

/**
 * The LiiklusService client, built at runtime from proto/ (as any user's
 * generated client would be), and the wire messages as @grpc/proto-loader
 * presents them with the gateway's own LOADER_OPTIONS (src/grpc/proto.ts):
 * camelCase fields, uint64 as decimal strings (exact; turned into bigint at
 * the edge), enums by name. Message types shared with the server come from
 * src/grpc/messages.ts; those below differ in what may be left out or null.
 */

export interface PublishRequestMessage {
  topic: string;
  key?: Uint8Array;
  value?: Uint8Array;
  liiklusEvent?: Partial<EventMessage>;
  headers?: Record<string, Uint8Array>;
}

export interface PublishReplyMessage {
  topic: string;
  partition: number;
  offset: string;
}

export interface SubscribeRequestMessage {
  topic: string;
  group: string;
  groupVersion: number;
  autoOffsetReset: 'EARLIEST' | 'LATEST';
  filter?: RecordFilterMessage;
}

export interface SubscribeReplyMessage {
  assignment?: AssignmentMessage | null;
}

export interface AckRequestMessage {
  topic: string;
  group: string;
  groupVersion: number;
  partition: number;
  offset: string;
}

export interface ReceiveRequestMessage {
  assignment: AssignmentMessage;
  format: 'BINARY' | 'LIIKLUS_EVENT';
  /** Records at or below it are skipped by the gateway; '0' skips none. */
  lastKnownOffset?: string;
}

export interface RecordMessage {
  offset: string;
  key: Uint8Array;
  value: Uint8Array;
  timestamp: TimestampMessage | null;
  replay: boolean;
  headers: Record<string, Uint8Array>;
}

export interface EventRecordMessage {
  offset: string;
  key: Uint8Array;
  event: EventMessage | null;
  timestamp: TimestampMessage | null;
  replay: boolean;
}

export interface ReceiveReplyMessage {
  reply?: 'record' | 'liiklusEventRecord' | 'skipped';
  record?: RecordMessage | null;
  liiklusEventRecord?: EventRecordMessage | null;
  /** Filtered subscriptions: records up to this offset were filtered out. */
  skipped?: { offset: string } | null;
}

export interface RecordFilterMessage {
  eventType: string;
  eventTypePrefix: string;
  headers: Record<string, Uint8Array>;
  keyPrefix: Uint8Array;
}

export interface OffsetsReplyMessage {
  offsets: Record<string, string>;
}

type Callback<T> = (err: grpc.ServiceError | null, reply: T) => void;
type UnaryMethod<Req, Res> = (request: Req, options: grpc.CallOptions, callback: Callback<Res>) => grpc.ClientUnaryCall;
type StreamMethod<Req, Res> = (request: Req, options?: grpc.CallOptions) => grpc.ClientReadableStream<Res>;

/** The generated client's methods, typed by hand from proto/LiiklusService.proto. */
export interface LiiklusStub extends grpc.Client {
  Publish: UnaryMethod<PublishRequestMessage, PublishReplyMessage>;
  Subscribe: StreamMethod<SubscribeRequestMessage, SubscribeReplyMessage>;
  Receive: StreamMethod<ReceiveRequestMessage, ReceiveReplyMessage>;
  Ack: UnaryMethod<AckRequestMessage, object>;
  GetOffsets: UnaryMethod<{ topic: string; group: string; groupVersion: number }, OffsetsReplyMessage>;
  GetEndOffsets: UnaryMethod<{ topic: string }, OffsetsReplyMessage>;
  ReceiveBatch: StreamMethod<ReceiveBatchRequestMessage, ReceiveBatchReplyMessage>;
  PublishBatch: UnaryMethod<{ records: PublishRequestMessage[] }, { results: PublishReplyMessage[] }>;
  Nack: UnaryMethod<NackRequestMessage, NackReplyMessage>;
}

export interface NackRequestMessage {
  topic: string;
  group: string;
  groupVersion: number;
  partition: number;
  offset: string;
  key?: Uint8Array;
  value?: Uint8Array;
  headers?: Record<string, Uint8Array>;
  liiklusEvent?: Partial<EventMessage>;
  reason: string;
  deadLetter?: boolean;
  delayMs?: number;
  maxAttempts?: number;
}

/** The gateway's NackReply as proto-loader presents it (the same shape on both sides). */
export type NackReplyMessage = NackReply;

export interface ReceiveBatchRequestMessage {
  request: ReceiveRequestMessage;
  maxRecords: number;
  maxBytes: number;
}

export interface ReceiveBatchReplyMessage {
  replies: ReceiveReplyMessage[];
}

let constructor: grpc.ServiceClientConstructor | undefined;

function stubConstructor(): grpc.ServiceClientConstructor {
  if (constructor === undefined) {
    const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS)) as unknown as {
      com: { github: { bsideup: { liiklus: { LiiklusService: grpc.ServiceClientConstructor } } } };
    };
    constructor = loaded.com.github.bsideup.liiklus.LiiklusService;
  }
  return constructor;
}

export function createStub(address: string, credentials: grpc.ChannelCredentials, options: grpc.ClientOptions): LiiklusStub {
  const Stub = stubConstructor();
  return new Stub(address, credentials, options) as unknown as LiiklusStub;
}

/**
 * Opens Receive or ReceiveBatch with `decode` (src/client/decoding.ts) as the
 * reply deserializer in place of the generated one: 'data' carries the
 * replies of each message, already records. The request is serialized by the
 * generated code, as for every other call.
 */
export function openDecodedStream(
  stub: LiiklusStub,
  method: 'Receive' | 'ReceiveBatch',
  request: ReceiveRequestMessage | ReceiveBatchRequestMessage,
  decode: (message: Buffer) => DecodedReply[],
): grpc.ClientReadableStream<DecodedReply[]> {
  const definition = (stub.constructor as grpc.ServiceClientConstructor).service[method]!;
  return stub.makeServerStreamRequest(definition.path, definition.requestSerialize, decode, request);
}
