import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AckMode, type SluiceClient } from '../../src/client/index.ts';
import type { TestGateway } from '../support/gateway.ts';
import { ROOT } from '../support/process.ts';
import { uniqueName } from '../support/records.ts';
import { EventLog, gatewayWithClient, keyFor, publishAll, Streams, take, values } from './helpers.ts';

const PARTITIONS = 4;
const DYING_CONSUMER = fileURLToPath(new URL('./fixtures/dying-consumer.ts', import.meta.url));

/** Runs the dying consumer to its death; returns what it printed and how it ended. */
function runDyingConsumer(args: string[]): Promise<{ output: string; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', DYING_CONSUMER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (_code, signal) => resolve({ output, signal }));
  });
}

describe('delivery guarantees when the handler crashes (real gateway, memory stores)', () => {
  const context = gatewayWithClient(PARTITIONS);
  let gateway: TestGateway;
  let client: SluiceClient;
  beforeAll(() => ({ gateway, client } = context));

  /** Handles r0..r9 of one partition, throwing at r5; returns what a restarted member of the group gets first. */
  async function crashAndRestart(ack: AckMode) {
    const topic = uniqueName(`crash-${ack}`);
    const group = uniqueName('g');
    await publishAll(client, topic, keyFor(3, PARTITIONS), values('r', 10));
    const handled: string[] = [];
    const crashing = client.subscribe({ topic, group, ack });
    await expect(
      crashing.each((record) => {
        if (record.value.toString() === 'r5') throw new Error('handler crashed at r5');
        handled.push(record.value.toString());
      }),
    ).rejects.toThrow('handler crashed at r5');
    const stored = (await client.getOffsets(topic, group)).get(3);

    const restarted = client.subscribe({ topic, group, ack });
    const [first] = await take(await new Streams(restarted).for(3), 1, true);
    await restarted.close();
    return { handled, stored, first: first!.value.toString() };
  }

  it("at-least-once ('after'): the record the handler crashed on is redelivered", async () => {
    const { handled, stored, first } = await crashAndRestart('after');
    expect(handled).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(stored).toBe(4n);
    expect(first).toBe('r5');
  });

  it("at-most-once ('before'): the record the handler crashed on is not delivered again; the ones after it are", async () => {
    const { handled, stored, first } = await crashAndRestart('before');
    expect(handled).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    // r5 was acked before it was handed over; records acked ahead of it but
    // never handed over were given back when the loop ended.
    expect(stored).toBe(5n);
    expect(first).toBe('r6');
  });

  it("at-most-once: the position is stored before each record is handed over, one ack covering what is buffered", async () => {
    const topic = uniqueName('ahead');
    const group = uniqueName('g');
    await publishAll(client, topic, keyFor(1, PARTITIONS), values('r', 10));
    const subscription = client.subscribe({ topic, group, ack: 'before' });
    const log = new EventLog(subscription);
    const stream = await new Streams(subscription).for(1);
    const records = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) {
      const { value } = await records.next();
      // Whatever was handed over is already stored.
      expect((await client.getOffsets(topic, group)).get(1)).toBeGreaterThanOrEqual(value!.offset);
    }
    const ahead = log.of('acked');
    expect(ahead.every((e) => e.reason === 'before')).toBe(true);
    expect(ahead.length).toBeLessThan(10);
    await records.return!();
    await subscription.close();
  });

  it('at-most-once acks at most 32 records ahead of the one handed over, whatever the buffer holds', async () => {
    const topic = uniqueName('ahead-limit');
    const group = uniqueName('g');
    const key = keyFor(0, PARTITIONS);
    await publishAll(client, topic, key, values('r', 200));
    const subscription = client.subscribe({ topic, group, ack: 'before' });
    const stream = await new Streams(subscription).for(0);
    await expect.poll(() => stream.buffered).toBeGreaterThan(100);
    const [first] = await take(stream, 1, true);
    expect(first!.value.toString()).toBe('r0');
    expect((await client.getOffsets(topic, group)).get(0)).toBe(31n);
    await subscription.close();
  });

  it('at-most-once: on close, records acked ahead but never handed over go back to the group', async () => {
    const topic = uniqueName('ahead-close');
    const group = uniqueName('g');
    const key = keyFor(0, PARTITIONS);
    await publishAll(client, topic, key, values('r', 10));
    const subscription = client.subscribe({ topic, group, ack: 'before', bufferSize: 32 });
    const stream = await new Streams(subscription).for(0);
    await take(stream, 3, true);
    // Acked ahead: at least r2, and whatever was buffered when r0 was handed over.
    expect((await client.getOffsets(topic, group)).get(0)).toBeGreaterThanOrEqual(2n);
    await subscription.close();
    expect((await client.getOffsets(topic, group)).get(0)).toBe(2n);
    const next = client.subscribe({ topic, group, ack: 'before' });
    const [first] = await take(await new Streams(next).for(0), 1, true);
    expect(first!.value.toString()).toBe('r3');
    await next.close();
  });

  describe('when the consumer process is killed (SIGKILL) mid-record', () => {
    async function killAndRestart(ack: AckMode) {
      const topic = uniqueName(`kill-${ack}`);
      const group = uniqueName('g');
      const key = keyFor(2, PARTITIONS);
      await publishAll(client, topic, key, values('r', 10));
      const { output, signal } = await runDyingConsumer([gateway.address, topic, group, ack, 'r5']);
      expect(signal).toBe('SIGKILL');
      expect(output.trim().split('\n').at(-1)).toBe('handling r5');
      // A marker, so the restarted member gets something even if all ten were acked ahead.
      await client.publish(topic, 'marker', { key });
      const restarted = client.subscribe({ topic, group, ack });
      const stream = await new Streams(restarted).for(2);
      const seen: string[] = [];
      for await (const record of stream) {
        seen.push(record.value.toString());
        if (record.value.toString() === 'marker') break;
      }
      await restarted.close();
      return seen;
    }

    it('at-least-once: the record being handled is delivered again', async () => {
      const seen = await killAndRestart('after');
      expect(seen).toContain('r5');
    });

    it('at-most-once: no record handed over before the kill is delivered again', async () => {
      const seen = await killAndRestart('before');
      expect(seen.filter((v) => ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].includes(v))).toEqual([]);
      expect(seen.at(-1)).toBe('marker');
    });
  });
});
