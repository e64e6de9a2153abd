/**
 * How a group's failed records are retried: where the copies go, how many
 * attempts, how long between them. Pure configuration logic (docs/retry.md).
 */
export interface Backoff {
  /** Delay before attempt 2. */
  initialMs: number;
  /** Largest delay. */
  maxMs: number;
  /** Growth per attempt (1: a constant delay). */
  factor: number;
}

export interface RetryPolicy {
  /** `{topic}` and `{group}` are replaced; default `{topic}.{group}.retry`. */
  retryTopic: string;
  /** Default `{topic}.{group}.dlq`. */
  deadLetterTopic: string;
  /** Attempts (deliveries) of a record before it is dead-lettered; default 5. */
  maxAttempts: number;
  backoff: Backoff;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retryTopic: '{topic}.{group}.retry',
  deadLetterTopic: '{topic}.{group}.dlq',
  maxAttempts: 5,
  backoff: { initialMs: 1_000, maxMs: 60_000, factor: 2 },
};

/** The longest delay a Nack may ask for (and the largest configurable backoff). */
export const MAX_DELAY_MS = 7 * 24 * 3600 * 1000;
export const MAX_ATTEMPTS = 100;

export function topicName(template: string, topic: string, group: string): string {
  return template.replaceAll('{topic}', topic).replaceAll('{group}', group);
}

/** The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  const delay = backoff.initialMs * backoff.factor ** Math.max(0, attempt - 1);
  return Math.min(backoff.maxMs, Math.round(delay));
}

/**
 * A test for "this topic is `group`'s retry topic of some topic", decided
 * once per subscription (never per record): only such subscriptions hold
 * records until they are due.
 */
export function isRetryTopic(template: string, topic: string, group: string): boolean {
  const pattern = template
    .split(/(\{topic\}|\{group\})/)
    .map((part) => (part === '{topic}' ? '.+' : part === '{group}' ? escape(group) : escape(part)))
    .join('');
  return new RegExp(`^${pattern}$`).test(topic);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
