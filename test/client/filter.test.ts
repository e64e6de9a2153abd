import { beforeAll, describe, expect, it } from 'vitest';
import type { SluiceClient } from '../../src/client/index.ts';
import { uniqueName } from '../support/records.ts';
import { EventLog, gatewayWithClient, keyFor } from './helpers.ts';

const PARTITIONS = 2;

describe('client: filtered subscriptions (real gateway, memory stores)', () => {
  const context = gatewayWithClient(PARTITIONS);
  let client: SluiceClient;
  beforeAll(() => ({ client } = context));

  it('hands over only matching records and acks past the filtered ones, so the lag reaches 0', async () => {
    const topic = uniqueName('client-filter');
    const group = uniqueName('g');
    const key = keyFor(1, PARTITIONS);
    const expected: string[] = [];
    let last = 0n;
    for (let i = 0; i < 30; i++) {
      const region = i % 3 === 0 ? 'eu' : 'us';
      last = (await client.publish(topic, `v${i}`, { key, headers: { region } })).offset;
      if (region === 'eu') expected.push(`v${i}`);
    }
    // The last records are all filtered out: only a skip marker moves the position to `last`.
    const subscription = client.subscribe({ topic, group, filter: { headers: { region: 'eu' } }, ackEvery: { records: 1, ms: 20 } });
    const events = new EventLog(subscription);
    const seen: string[] = [];
    const consuming = subscription.each((record) => {
      seen.push(record.value.toString());
    });
    await events.waitFor('acked', (e) => e.partition === 1 && e.offset === last);
    expect(seen).toEqual(expected);
    await subscription.close();
    await consuming;
    expect((await client.getOffsets(topic, group)).get(1)).toBe(last);
  });
});
