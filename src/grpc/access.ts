import type { Action } from '../auth/index.ts';
import { resolveGroupId } from '../gateway/index.ts';
import type { AckRequest, GetEndOffsetsRequest, GetOffsetsRequest, NackRequest, PublishRequest, ReceiveRequest, SubscribeRequest } from './messages.ts';

/** Batched shapes (docs: DESIGN §2), read only for their names here. */
interface PublishBatchRequest {
  records?: PublishRequest[] | null;
}
interface ReceiveBatchRequest {
  request?: ReceiveRequest | null;
}

/** A name taken from a request, with the wire field it came from (errors name it). */
export interface FieldValue {
  field: string;
  name: string;
}

/** One permission a call needs: `action` on a topic, and on a group when there is one. */
export interface Check {
  action: Action;
  topic: FieldValue;
  group?: FieldValue | undefined;
}

/** What one call touches; the guard checks it once per call, never per record. */
export interface Access {
  checks: Check[];
  /** A call on an existing session: it needs `action` on the session's topic and group, and the caller must own it. */
  session?: { field: string; id: string; action: Action } | undefined;
  /** Counts against the principal's concurrent-stream limit of that kind. */
  stream?: 'subscribe' | 'receive';
  /** Records published by the call, taken from the principal's publish rate. */
  records?: number;
}

const topic = (field: string, name: string): FieldValue => ({ field, name });
// Rules name the group without its version: `billing` covers `billing-v2` and group_version 3 alike.
const group = (field: string, name: string, version: number): FieldValue => ({ field, name: resolveGroupId(name, version).name });

const publishAccess = (r: PublishRequest, prefix = ''): Check => ({ action: 'publish', topic: topic(`${prefix}topic`, r.topic) });
const receiveAccess = (r: ReceiveRequest | null | undefined, prefix = ''): Access => ({
  checks: [],
  session: r?.assignment?.sessionId ? { field: `${prefix}assignment.session_id`, id: r.assignment.sessionId, action: 'subscribe' } : undefined,
  stream: 'receive',
});

/**
 * Every RPC of LiiklusService and what it needs, keyed by method name: adding
 * an RPC is one line here. A method missing from this table is refused while
 * authentication is on (deny by default).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each line reads its own request type
export const ACCESS: Record<string, (request: any) => Access> = {
  Publish: (r: PublishRequest) => ({ checks: [publishAccess(r)], records: 1 }),
  Subscribe: (r: SubscribeRequest) => ({
    checks: [{ action: 'subscribe', topic: topic('topic', r.topic), group: group('group', r.group, r.groupVersion) }],
    stream: 'subscribe',
  }),
  Receive: (r: ReceiveRequest) => receiveAccess(r),
  Ack: (r: AckRequest) =>
    r.assignment?.sessionId
      ? { checks: [], session: { field: 'assignment.session_id', id: r.assignment.sessionId, action: 'ack' } }
      : { checks: [{ action: 'ack', topic: topic('topic', r.topic), group: group('group', r.group, r.groupVersion) }] },
  // Handing a record back is the other way to move past it: `ack` on (topic, group). The copy goes to the
  // group's own retry or dead-letter topic, named by the gateway from its configuration, never by the caller.
  Nack: (r: NackRequest) => ({ checks: [{ action: 'ack', topic: topic('topic', r.topic), group: group('group', r.group, r.groupVersion) }] }),
  GetOffsets: (r: GetOffsetsRequest) => ({
    checks: [{ action: 'read-offsets', topic: topic('topic', r.topic), group: group('group', r.group, r.groupVersion) }],
  }),
  GetEndOffsets: (r: GetEndOffsetsRequest) => ({ checks: [{ action: 'read-offsets', topic: topic('topic', r.topic) }] }),
  ReceiveBatch: (r: ReceiveBatchRequest) => receiveAccess(r.request, 'request.'),
  PublishBatch: (r: PublishBatchRequest) => {
    const records = r.records ?? [];
    // One check per distinct topic (named by its first record), so a batch of 1,000 costs what its topics cost.
    const checks = new Map<string, Check>();
    records.forEach((record, i) => checks.has(record.topic) || checks.set(record.topic, publishAccess(record, `records[${i}].`)));
    return { checks: [...checks.values()], records: records.length };
  },
};
