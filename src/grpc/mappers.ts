import { InvalidArgumentError, type AutoOffsetReset, type CloudEvent } from '../contracts/index.ts';
import type { RecordFilterSpec } from '../filtering/index.ts';
import type { AckCommand, NackCommand, NackResult, OffsetsQuery, PublishCommand, ReceiveCommand, SubscribeCommand } from '../gateway/index.ts';
import type {
  AckRequest,
  GetOffsetsRequest,
  LiiklusEventMessage,
  NackReply,
  NackRequest,
  OffsetsReply,
  PublishRequest,
  RecordFilterMessage,
  ReceiveRequest,
  SubscribeRequest,
} from './messages.ts';

// CloudEvents attribute names: lower-case letters and digits only.
const EXTENSION_NAME = /^[a-z0-9]{1,64}$/;
const RESERVED_ATTRIBUTES = new Set(['id', 'type', 'source', 'specversion', 'time', 'datacontenttype', 'data', 'dataschema', 'subject']);

export function toPublishCommand(request: PublishRequest): PublishCommand {
  const event = request.event === 'liiklusEvent' && request.liiklusEvent ? toCloudEvent(request.liiklusEvent) : null;
  return {
    topic: request.topic,
    key: request.key.length > 0 ? request.key : null,
    value: event === null ? request.value : null,
    event,
    headers: toHeaders(request.headers),
  };
}

/** The headers of a record without any (most): shared, never written to (the core takes them as a ReadonlyMap). */
const NO_HEADERS: ReadonlyMap<string, Uint8Array> = new Map();

function toHeaders(headers: Record<string, Buffer> | undefined): ReadonlyMap<string, Uint8Array> {
  for (const _ in headers) return new Map(Object.entries(headers));
  return NO_HEADERS;
}

/**
 * The records of a PublishBatch, every one validated (as Publish validates
 * one) before any is written; a bad one is named by its index (`records[3].topic`).
 */
export function toPublishCommands(records: readonly PublishRequest[]): PublishCommand[] {
  return records.map((request, i) => {
    try {
      return toPublishCommand(request);
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`records[${i}].${err.field}`, err.reason);
      throw err;
    }
  });
}

function toCloudEvent(message: LiiklusEventMessage): CloudEvent {
  for (const field of ['id', 'type', 'source'] as const) {
    if (message[field] === '') throw new InvalidArgumentError(`liiklusEvent.${field}`, 'must not be empty (a CloudEvents required attribute)');
  }
  if (message.time !== '' && Number.isNaN(Date.parse(message.time))) {
    throw new InvalidArgumentError('liiklusEvent.time', `"${message.time}" is not an RFC 3339 timestamp`);
  }
  for (const name of Object.keys(message.extensions ?? {})) {
    if (!EXTENSION_NAME.test(name) || RESERVED_ATTRIBUTES.has(name)) {
      throw new InvalidArgumentError(`liiklusEvent.extensions`, `"${name}" is not a valid extension name (lower-case a-z and 0-9, not a core attribute)`);
    }
  }
  return {
    id: message.id,
    type: message.type,
    source: message.source,
    time: message.time,
    dataContentType: message.dataContentType,
    data: message.data,
    extensions: { ...(message.extensions ?? {}) },
  };
}

export function toSubscribeCommand(request: SubscribeRequest): SubscribeCommand {
  return {
    topic: request.topic,
    group: request.group,
    groupVersion: request.groupVersion,
    autoOffsetReset: toAutoOffsetReset(request.autoOffsetReset),
    filter: request.filter ? toRecordFilter(request.filter) : undefined,
  };
}

function toRecordFilter(message: RecordFilterMessage): RecordFilterSpec {
  const headers = new Map(Object.entries(message.headers ?? {}));
  for (const name of headers.keys()) if (name === '') throw new InvalidArgumentError('filter.headers', 'a header name must not be empty');
  return {
    eventType: message.eventType || undefined,
    eventTypePrefix: message.eventTypePrefix || undefined,
    headers,
    keyPrefix: message.keyPrefix.length > 0 ? message.keyPrefix : undefined,
  };
}

function toAutoOffsetReset(value: SubscribeRequest['autoOffsetReset']): AutoOffsetReset {
  if (value === 'EARLIEST' || value === 0) return 'earliest';
  if (value === 'LATEST' || value === 1) return 'latest';
  throw new InvalidArgumentError('auto_offset_reset', `unknown value ${String(value)}: use EARLIEST or LATEST`);
}

/**
 * binary: Record, an event as a CloudEvents JSON document (as Liiklus);
 * binary-event-data: Record, an event as its data plus ce_* headers
 * (cloudevents_binary_mode); event: LiiklusEventRecord.
 */
export type ContentFormat = 'binary' | 'binary-event-data' | 'event';

export function toContentFormat(value: ReceiveRequest['format'], cloudeventsBinaryMode = false): ContentFormat {
  if (value === 'BINARY' || value === 0) return cloudeventsBinaryMode ? 'binary-event-data' : 'binary';
  if (value === 'LIIKLUS_EVENT' || value === 1) return 'event';
  throw new InvalidArgumentError('format', `unknown value ${String(value)}: use BINARY or LIIKLUS_EVENT`);
}

export function toReceiveCommand(request: ReceiveRequest): ReceiveCommand {
  if (!request.assignment) throw new InvalidArgumentError('assignment', 'is required');
  if (request.assignment.sessionId === '') throw new InvalidArgumentError('assignment.session_id', 'must not be empty');
  return {
    sessionId: request.assignment.sessionId,
    partition: request.assignment.partition,
    lastKnownOffset: BigInt(request.lastKnownOffset),
  };
}

export function toAckCommand(request: AckRequest): AckCommand {
  const offset = BigInt(request.offset);
  // The deprecated assignment form, kept for Liiklus clients that still send it.
  if (request.assignment && request.assignment.sessionId !== '') {
    return { kind: 'session', sessionId: request.assignment.sessionId, partition: request.assignment.partition, offset };
  }
  return {
    kind: 'group',
    topic: request.topic,
    group: request.group,
    groupVersion: request.groupVersion,
    partition: request.partition,
    offset,
  };
}

export function toOffsetsQuery(request: GetOffsetsRequest): OffsetsQuery {
  return { topic: request.topic, group: request.group, groupVersion: request.groupVersion };
}

export function toOffsetsReply(offsets: ReadonlyMap<number, bigint>): OffsetsReply {
  const reply: OffsetsReply = { offsets: {} };
  for (const [partition, offset] of offsets) reply.offsets[String(partition)] = offset.toString();
  return reply;
}

export function toNackCommand(request: NackRequest): NackCommand {
  let event: CloudEvent | null = null;
  if (request.event === 'liiklusEvent' && request.liiklusEvent) {
    try {
      event = toCloudEvent(request.liiklusEvent);
    } catch (err) {
      // The same checks as Publish, named as this message spells the field.
      if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(err.field.replace(/^liiklusEvent/, 'liiklus_event'), err.reason);
      throw err;
    }
  }
  return {
    topic: request.topic,
    group: request.group,
    groupVersion: request.groupVersion,
    partition: request.partition,
    offset: BigInt(request.offset),
    key: request.key.length > 0 ? request.key : null,
    value: event === null ? request.value : null,
    event,
    headers: new Map(Object.entries(request.headers ?? {})),
    reason: request.reason,
    deadLetter: request.deadLetter,
    delayMs: request.delayMs,
    maxAttempts: request.maxAttempts,
  };
}

export function toNackReply(result: NackResult): NackReply {
  const retryAt = result.retryAt === undefined ? null : { seconds: String(Math.floor(result.retryAt.getTime() / 1000)), nanos: (result.retryAt.getTime() % 1000) * 1e6 };
  return {
    topic: result.topic,
    partition: result.partition,
    offset: result.offset.toString(),
    attempt: result.attempt,
    deadLettered: result.deadLettered,
    retryAt,
  };
}
