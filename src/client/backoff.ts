import type { ReconnectOptions } from './types.ts';

export type ResolvedReconnect = Required<ReconnectOptions>;

export const DEFAULT_RECONNECT: ResolvedReconnect = { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, maxAttempts: Infinity };

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential growth capped
 * at maxDelayMs, with "equal jitter" (half fixed, half random), so clients that
 * lost the same gateway spread out but never retry in a tight loop.
 */
export function backoffDelay(attempt: number, options: ResolvedReconnect, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
