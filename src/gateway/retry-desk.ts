import { InvalidArgumentError, type Envelope, type GroupId, type PublishResult } from '../contracts/index.ts';
import {
  backoffDelay,
  isRetryTopic,
  MalformedHeader,
  MAX_ATTEMPTS,
  MAX_DELAY_MS,
  readRetryHeaders,
  RETRY_HEADERS,
  SLUICE_HEADER_PREFIX,
  topicName,
  type HoldCounts,
  type RetryPolicy,
} from '../retry/index.ts';
import type { NackCommand, NackResult } from './types.ts';
import { requireTopic } from './validation.ts';

const MAX_REASON_LENGTH = 1000;
const encoder = new TextEncoder();

/** Outcomes counted for metrics: copies written, and records of retry topics held back until due. */
export interface RetryCounts extends HoldCounts {
  retried: number;
  deadLettered: number;
}

/**
 * The Nack use case: where a handed-back record goes (the group's retry topic
 * or, once its attempts are used up, its dead-letter topic), with which
 * sluice-* headers, and which subscriptions hold records until due.
 */
export class RetryDesk {
  readonly counts: RetryCounts = { retried: 0, deadLettered: 0, held: 0, released: 0 };

  constructor(
    private readonly policy: RetryPolicy,
    private readonly publish: (envelope: Envelope) => Promise<PublishResult>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a subscription of `group` to `topic` reads a retry topic (its records wait until due). */
  holdsRecords(topic: string, group: GroupId): boolean {
    return isRetryTopic(this.policy.retryTopic, topic, group.name);
  }

  /** Writes the copy; resolves once the records store holds it. `topic` and `group` are validated already. */
  async nack(command: NackCommand, group: GroupId): Promise<NackResult> {
    if (command.reason === '') throw new InvalidArgumentError('reason', 'must not be empty: say why the record failed');
    if (command.reason.length > MAX_REASON_LENGTH) throw new InvalidArgumentError('reason', `must be at most ${MAX_REASON_LENGTH} characters`);
    if (command.delayMs > MAX_DELAY_MS) throw new InvalidArgumentError('delay_ms', `must be at most ${MAX_DELAY_MS} (7 days)`);
    if (command.maxAttempts > MAX_ATTEMPTS) throw new InvalidArgumentError('max_attempts', `must be at most ${MAX_ATTEMPTS}`);
    let previous;
    try {
      previous = readRetryHeaders((name) => command.headers.get(name));
    } catch (err) {
      if (err instanceof MalformedHeader) throw new InvalidArgumentError(`headers["${err.header}"]`, err.message.slice(err.header.length + 2));
      throw err;
    }
    const origin = previous?.origin ?? { topic: command.topic, partition: command.partition, offset: command.offset };
    const attempt = previous?.attempt ?? 1;
    const maxAttempts = command.maxAttempts || this.policy.maxAttempts;
    const deadLettered = command.deadLetter || attempt >= maxAttempts;
    const target = this.topicFor(deadLettered ? this.policy.deadLetterTopic : this.policy.retryTopic, origin.topic, group.name);
    const retryAt = deadLettered ? undefined : new Date(this.now() + (command.delayMs || backoffDelay(this.policy.backoff, attempt)));
    const copyAttempt = deadLettered ? attempt : attempt + 1;

    const headers = new Map<string, Uint8Array>();
    for (const [name, value] of command.headers) if (!name.startsWith(SLUICE_HEADER_PREFIX)) headers.set(name, value);
    const text = (name: string, value: string) => headers.set(name, encoder.encode(value));
    text(RETRY_HEADERS.originTopic, origin.topic);
    text(RETRY_HEADERS.originPartition, String(origin.partition));
    text(RETRY_HEADERS.originOffset, origin.offset.toString());
    text(RETRY_HEADERS.group, group.name);
    text(RETRY_HEADERS.attempt, String(copyAttempt));
    text(RETRY_HEADERS.reason, command.reason);
    if (retryAt !== undefined) text(RETRY_HEADERS.retryAt, retryAt.toISOString());

    const stored = await this.publish({
      topic: target,
      key: command.key,
      value: command.event === null ? command.value : null,
      event: command.event,
      headers,
    });
    if (deadLettered) this.counts.deadLettered++;
    else this.counts.retried++;
    return { topic: stored.topic, partition: stored.partition, offset: stored.offset, attempt: copyAttempt, deadLettered, retryAt };
  }

  private topicFor(template: string, topic: string, group: string): string {
    const name = topicName(template, topic, group);
    try {
      return requireTopic('group', name);
    } catch {
      throw new InvalidArgumentError('group', `"${name}" (the retry or dead-letter topic of this topic and group) is not a valid topic name: use 1 to 249 of [a-zA-Z0-9._-] in the group, or change RETRY_TOPIC / DEAD_LETTER_TOPIC`);
    }
  }
}
