import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, SluiceClientError, type SluiceClient } from '../../src/client/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';
import { EventLog, keyFor, Streams, take } from './helpers.ts';

const PARTITIONS = 2;

describe('client reconnect (real gateway restarted on the same port)', () => {
  let gateway: TestGateway | undefined;
  let client: SluiceClient | undefined;
  afterEach(async () => {
    await client?.close();
    await gateway?.stop();
    client = gateway = undefined;
  });

  it('on UNAVAILABLE, backs off with jitter, subscribes again, and new partition streams follow', async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: String(PARTITIONS) });
    const port = gateway.sluice.port;
    const env = { GRPC_PORT: String(port), MEMORY_PARTITIONS: String(PARTITIONS) };
    client = connect(`127.0.0.1:${port}`);
    const topic = uniqueName('reconnect');
    const group = uniqueName('g');
    const key = keyFor(0, PARTITIONS);
    const subscription = client.subscribe({ topic, group, ackEvery: { records: 1 }, reconnect: { initialDelayMs: 50, maxDelayMs: 400 } });
    const log = new EventLog(subscription);
    const streams = new Streams(subscription);

    await client.publish(topic, 'before-restart', { key });
    const first = await streams.for(0);
    const [before] = await take(first, 1, true);
    expect(before!.value.toString()).toBe('before-restart');
    await log.waitFor('acked', (e) => e.offset === 0n);

    await gateway.stop();
    gateway = undefined;
    expect(await first.ended).toBe('disconnected');
    // While nothing listens, attempts fail and the delay grows (equal jitter: [d/2, d], d = 50 * 2^n, capped at 400).
    const fourth = await log.waitFor('disconnected', (e) => e.attempt === 4);
    const delays = log.of('disconnected').map((e) => e.retryInMs);
    expect(delays.slice(0, 4).map((d, n) => d >= Math.min(400, 50 * 2 ** n) / 2 && d <= Math.min(400, 50 * 2 ** n))).toEqual([true, true, true, true]);
    expect(fourth.error).toBeInstanceOf(SluiceClientError);
    expect(fourth.error.code).toBe(status.UNAVAILABLE);

    gateway = await startTestGateway(env);
    await gateway.client.publish({ topic, key: Buffer.from(key), value: Buffer.from('after-restart') });
    const second = await streams.for(0);
    expect(second.sessionId).not.toBe(first.sessionId);
    const [after] = await take(second, 1, true);
    expect(after!.value.toString()).toBe('after-restart');
    await subscription.close();
  });

  it('gives up after maxAttempts and the subscription fails with UNAVAILABLE', async () => {
    client = connect('127.0.0.1:1'); // nothing listens on port 1
    const subscription = client.subscribe({ topic: 'nowhere', group: 'g', reconnect: { initialDelayMs: 10, maxAttempts: 2 } });
    const log = new EventLog(subscription);
    const iterate = async () => {
      for await (const _ of subscription) throw new Error('no partition expected');
    };
    const error = await iterate().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SluiceClientError);
    expect((error as SluiceClientError).code).toBe(status.UNAVAILABLE);
    expect(log.of('disconnected').map((e) => e.attempt)).toEqual([1, 2]);
  });
});
