import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { heapGrowthFlag } from '../../src/heap-growth.ts';

const moduleUrl = new URL('../../src/heap-growth.ts', import.meta.url).href;

/** V8's own account of the limit it sets after a full collection in a Node process that applied `percent` (its growth factor in parentheses). */
function limitLines(percent: number, nodeArgs: string[] = []): string[] {
  const code = `const { applyHeapGrowth } = await import(${JSON.stringify(moduleUrl)}); applyHeapGrowth(${percent}); globalThis.gc();`;
  const run = spawnSync(process.execPath, [...nodeArgs, '--expose-gc', '--trace-gc-verbose', '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.split('\n').filter((line) => line.includes('[HeapController] Limit:'));
}

describe('V8 heap growth', () => {
  it('gives the flag for a percent, none for 0 or when the process was started with its own', () => {
    expect(heapGrowthFlag(300, [])).toBe('--heap-growing-percent=300');
    expect(heapGrowthFlag(0, [])).toBeUndefined();
    expect(heapGrowthFlag(300, ['--heap-growing-percent=50'])).toBeUndefined();
    expect(heapGrowthFlag(300, ['--heap-growing-percent', '50'])).toBeUndefined();
    expect(heapGrowthFlag(300, ['--heap-growing-percentage-of-nothing'])).toBe('--heap-growing-percent=300');
  });

  it('is set in the running process: V8 sizes its next limit by it', () => {
    const applied = limitLines(250);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.at(-1)).toMatch(/\(3\.5\)$/);
    const own = limitLines(0);
    expect(own.length).toBeGreaterThan(0);
    expect(own.at(-1)).not.toMatch(/\(3\.5\)$/);
    // The operator's own flag wins over the setting.
    expect(limitLines(250, ['--heap-growing-percent=50']).at(-1)).toMatch(/\(1\.5\)$/);
  });

  it('defaults to 300 and refuses what is not a percent, naming the key', () => {
    expect(loadConfig({}).gateway.HEAP_GROWING_PERCENT).toBe(300);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).gateway.HEAP_GROWING_PERCENT).toBe(0);
    for (const bad of ['-1', '1.5', 'lots', '1001']) {
      expect(() => loadConfig({ HEAP_GROWING_PERCENT: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ HEAP_GROWING_PERCENT: bad })).toThrow(/^HEAP_GROWING_PERCENT: /);
    }
  });
});
