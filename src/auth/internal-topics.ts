import { InvalidArgumentError } from '../contracts/index.ts';
import { compilePatterns, type NamePattern } from './pattern.ts';

/**
 * Kafka keeps its own state in topics whose names start with `__`
 * (`__consumer_offsets`, `__transaction_state`): reading or writing them
 * through the gateway is never what a client means, so every RPC refuses
 * them unless an operator allows a pattern.
 */
export class InternalTopics {
  private readonly allowed: NamePattern;

  constructor(allowedPatterns: readonly string[] = []) {
    this.allowed = compilePatterns(allowedPatterns);
  }

  check(field: string, topic: string): void {
    if (topic.startsWith('__') && !this.allowed(topic)) {
      throw new InvalidArgumentError(field, `"${topic}" is an internal topic (names starting with "__" are refused)`);
    }
  }
}

/** Parses INTERNAL_TOPICS_ALLOWED: comma-separated patterns. */
export function parsePatternList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
