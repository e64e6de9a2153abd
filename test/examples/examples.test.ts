import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { ROOT } from '../support/process.ts';
import { uniqueName } from '../support/records.ts';
import { apiKeyHash } from '../../src/auth/index.ts';
import { SecurityDir } from '../support/security.ts';

const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** Runs an example as its header says (`npx tsx examples/<name>.ts`), with env overrides. */
function runExample(name: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [`examples/${name}.ts`], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples (against a real gateway)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '4' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('the producer publishes orders keyed by customer; the consumer handles each once, skips what is not an order, and acks them all', async () => {
    const topic = uniqueName('orders');
    const group = uniqueName('billing');
    const env = { SLUICE_ADDRESS: gateway.address, SLUICE_TOPIC: topic };
    // What the README's grpcurl tour publishes: not an order. The consumer logs it and moves on.
    await gateway.client.publish({ topic, value: Buffer.from('hello') });

    const produced = await runExample('producer', { ...env, SLUICE_COUNT: '12' });
    expect(produced).toMatchObject({ code: 0, stderr: '' });
    const placed = produced.stdout.trim().split('\n');
    expect(placed).toHaveLength(12);
    expect(placed.every((line, i) => new RegExp(`^order ${i + 1} -> ${topic} partition \\d offset \\d+$`).test(line))).toBe(true);
    // One customer, one partition.
    const partitionOf = (i: number) => /partition (\d)/.exec(placed[i]!)![1];
    expect(partitionOf(0)).toBe(partitionOf(3));

    const consumed = await runExample('consumer', { ...env, SLUICE_GROUP: group, SLUICE_MAX: '12' });
    expect(consumed).toMatchObject({ code: 0, stderr: '' });
    const out = consumed.stdout.trim().split('\n');
    const handled = out.filter((line) => /^partition \d offset \d+: order \d+ of customer-\d, \d+$/.test(line));
    expect(handled.map((line) => Number(/order (\d+)/.exec(line)![1])).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(out.at(-1)).toBe('handled 12 orders');
    expect(out).toContainEqual(expect.stringMatching(/^partition \d offset 0: skipped, not an order: "hello"$/));
    expect(out.some((line) => /^acked partition \d up to offset \d+ \(close\)$/.test(line))).toBe(true);

    // Every order is acked: the group's positions are the end offsets.
    const [acked, end] = await Promise.all([gateway.client.getOffsets({ topic, group }), gateway.client.getEndOffsets({ topic })]);
    expect(acked.offsets).toEqual(end.offsets);

    // Run again: nothing is delivered twice (the consumer waits for new orders; one more arrives).
    const again = runExample('consumer', { ...env, SLUICE_GROUP: group, SLUICE_MAX: '1' });
    await runExample('producer', { ...env, SLUICE_COUNT: '1' });
    const second = await again;
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/: order 1 of customer-1, 10\n/);
    expect(second.stdout.trim().split('\n').at(-1)).toBe('handled 1 order');
  }, 60_000);

  it('the retry consumer pays every order, retries the ones that fail once, dead-letters the one that always fails, and is not held up by it', async () => {
    const topic = uniqueName('orders');
    const group = uniqueName('payments');
    const env = { SLUICE_ADDRESS: gateway.address, SLUICE_TOPIC: topic };
    expect(await runExample('producer', { ...env, SLUICE_COUNT: '10' })).toMatchObject({ code: 0, stderr: '' });
    const consumed = await runExample('retry-consumer', { ...env, SLUICE_GROUP: group, SLUICE_MAX: '10' });
    expect(consumed).toMatchObject({ code: 0, stderr: '' });
    const out = consumed.stdout.trim().split('\n');
    const paid = out.filter((line) => / paid$/.test(line)).map((line) => Number(/order (\d+)/.exec(line)![1]));
    expect(paid.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(out).toContainEqual(expect.stringMatching(/^order 4 attempt 2 \(orders-\w+ partition \d offset \d+\)$/));
    expect(out.filter((line) => line.startsWith('order 5 attempt'))).toHaveLength(3);
    expect(out).toContainEqual(`dead-lettered to ${topic}.${group}.dlq after 3 attempts: card declined`);
    // Order 8 is in order 5's partition (customer-2) and had its turn before order 5's second attempt.
    const line = (start: string) => out.findIndex((l) => l.startsWith(start));
    expect(line('order 8 attempt 1 ')).toBeGreaterThan(0);
    expect(line('order 8 attempt 1 ')).toBeLessThan(line('order 5 attempt 2 '));
    expect(out.at(-1)).toBe('settled 10 orders');
  }, 60_000);
});

describe('examples with authentication on', () => {
  const dir = new SecurityDir();
  let gateway: TestGateway;
  beforeAll(async () => {
    const file = dir.write('security.json', {
      authentication: { apiKeys: [{ name: 'shop', sha256: apiKeyHash('shop-key-93e1f0a7c2') }] },
      rules: [{ principals: ['key:shop'], actions: ['publish', 'subscribe', 'ack', 'read-offsets'], topics: ['orders-*'], groups: ['billing-*'] }],
    });
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '2', SECURITY_FILE: file });
  });
  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  it('the producer reads its token from SLUICE_TOKEN_FILE, the consumer from SLUICE_TOKEN; without one they are refused', async () => {
    const env = { SLUICE_ADDRESS: gateway.address, SLUICE_TOPIC: uniqueName('orders') };
    const refused = await runExample('producer', { ...env, SLUICE_COUNT: '1', SLUICE_TOKEN: '' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/UNAUTHENTICATED/);
    const produced = await runExample('producer', { ...env, SLUICE_COUNT: '3', SLUICE_TOKEN_FILE: dir.write('token.txt', 'shop-key-93e1f0a7c2\n') });
    expect(produced).toMatchObject({ code: 0, stderr: '' });
    const consumed = await runExample('consumer', { ...env, SLUICE_GROUP: uniqueName('billing'), SLUICE_MAX: '3', SLUICE_TOKEN: 'shop-key-93e1f0a7c2' });
    expect(consumed).toMatchObject({ code: 0, stderr: '' });
    expect(consumed.stdout.trim().split('\n').at(-1)).toBe('handled 3 orders');
  }, 60_000);
});
