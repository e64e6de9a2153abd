import { expect } from 'vitest';
import type { ScenarioResult } from './support/checker.ts';

/** The guarantees every scenario is held to (docs/guarantees.md). */
export function expectGuarantees(result: ScenarioResult, context: () => string = () => ''): void {
  const why = () => `${JSON.stringify(result)}\n${context().slice(-4000)}`;
  expect(result.published, why()).toBeGreaterThan(0);
  expect(result.lost, why()).toBe(0);
  expect(result.delivered, why()).toBe(result.published - result.deleted);
  expect(result.positionsMovedBack, why()).toBe(0);
  expect(result.orderViolations, why()).toBe(0);
  expect(result.skippedInStream, why()).toBe(0);
}
