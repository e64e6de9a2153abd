/**
 * The headers Sluice puts on a record it copies to a retry or dead-letter
 * topic (docs/retry.md). Values are UTF-8 text, readable by any consumer.
 */
export const RETRY_HEADERS = {
  /** The topic the record was first published to. */
  originTopic: 'sluice-origin-topic',
  /** Its partition there (decimal). */
  originPartition: 'sluice-origin-partition',
  /** Its offset there (decimal). */
  originOffset: 'sluice-origin-offset',
  /** The consumer group that handed it back. */
  group: 'sluice-group',
  /** Retry copy: the attempt it will be (2, 3, ...); dead letter: the attempts made. */
  attempt: 'sluice-attempt',
  /** Why the last attempt failed, as the consumer said. */
  reason: 'sluice-reason',
  /** Retry copy only: when it may be delivered (RFC 3339, UTC, milliseconds). */
  retryAt: 'sluice-retry-at',
} as const;

/** Every header name starting with this is the gateway's: replaced on a copy, removed on a replay. */
export const SLUICE_HEADER_PREFIX = 'sluice-';

export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: bigint;
}

/** What the sluice-* headers of a record say; undefined when it carries none (a record never handed back). */
export interface RetryHeaders {
  origin: RecordOrigin;
  attempt: number;
  group: string | undefined;
  reason: string | undefined;
  /** Epoch milliseconds; undefined on a dead letter. */
  retryAt: number | undefined;
}

const decoder = new TextDecoder();

/**
 * Reads the sluice-* headers; undefined when the origin headers are absent.
 * Throws `MalformedHeader` naming the header when one is present but not a
 * valid value.
 */
export function readRetryHeaders(get: (name: string) => Uint8Array | null | undefined): RetryHeaders | undefined {
  const text = (name: string) => {
    const value = get(name);
    return value == null ? undefined : decoder.decode(value);
  };
  const topic = text(RETRY_HEADERS.originTopic);
  if (topic === undefined) return undefined;
  const partition = decimal(RETRY_HEADERS.originPartition, text(RETRY_HEADERS.originPartition));
  const offset = decimal(RETRY_HEADERS.originOffset, text(RETRY_HEADERS.originOffset));
  const attempt = decimal(RETRY_HEADERS.attempt, text(RETRY_HEADERS.attempt));
  if (partition > BigInt(2 ** 31) || attempt < 1n || attempt > 1_000_000n) throw new MalformedHeader(RETRY_HEADERS.attempt, 'out of range');
  const retryAtText = text(RETRY_HEADERS.retryAt);
  const retryAt = retryAtText === undefined ? undefined : Date.parse(retryAtText);
  if (retryAt !== undefined && Number.isNaN(retryAt)) throw new MalformedHeader(RETRY_HEADERS.retryAt, `"${retryAtText}" is not an RFC 3339 time`);
  return {
    origin: { topic, partition: Number(partition), offset },
    attempt: Number(attempt),
    group: text(RETRY_HEADERS.group),
    reason: text(RETRY_HEADERS.reason),
    retryAt,
  };
}

/** When a record of a retry topic is due (epoch ms); 0 (due now) when it has no valid sluice-retry-at header. */
export function dueAt(headers: ReadonlyMap<string, Uint8Array>): number {
  const value = headers.get(RETRY_HEADERS.retryAt);
  if (value == null) return 0;
  const at = Date.parse(decoder.decode(value));
  return Number.isNaN(at) ? 0 : at;
}

export class MalformedHeader extends Error {
  constructor(
    readonly header: string,
    reason: string,
  ) {
    super(`${header}: ${reason}`);
  }
}

function decimal(header: string, value: string | undefined): bigint {
  if (value === undefined) throw new MalformedHeader(header, 'missing (the other sluice-origin-* headers are set)');
  if (!/^\d{1,20}$/.test(value)) throw new MalformedHeader(header, `"${value.slice(0, 32)}" is not a non-negative integer`);
  return BigInt(value);
}
