import { createRequire } from 'node:module';

/**
 * The kafkajs version that the gateway's replacements of kafkajs internals
 * (record-batches.ts, produce-request.ts, fetch-wake.ts, and the grouping
 * answered in partitioned-messages.ts) were written and checked against.
 * kafkajs 2.2.4 is its last release (2023), so the modules replaced do not
 * move; on any other version each replacement stays out and kafkajs's own
 * code runs.
 */
export const CHECKED_KAFKAJS_VERSION = '2.2.4';

/** What an install function answers: done, or why kafkajs's own code stays. */
export type Installation = { installed: true } | { installed: false; reason: string };

const require = createRequire(import.meta.url);

/** Why a replacement checked by `test` is not installed on the kafkajs found, or undefined when it is the checked version. */
export function kafkajsVersionMismatch(test: string): string | undefined {
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version === CHECKED_KAFKAJS_VERSION) return undefined;
  return `it was checked against kafkajs ${CHECKED_KAFKAJS_VERSION} and ${version} is installed (${test}, then CHECKED_KAFKAJS_VERSION)`;
}
