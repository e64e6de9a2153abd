import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ConsumedRecord, type SluiceClient } from '../../src/client/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/records.ts';
import { killLeftovers, lines, runCli } from './run.ts';

describe('sluice dlq list | replay (child processes against a real gateway)', () => {
  let gateway: TestGateway;
  let client: SluiceClient;
  beforeAll(async () => {
    gateway = await startTestGateway({ MEMORY_PARTITIONS: '2' });
    client = connect(gateway.address);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
  });
  afterEach(killLeftovers);

  it('lists the dead letters with origin, attempts and reason; replays them once to their topic without the sluice-* headers', async () => {
    const topic = uniqueName('orders');
    const group = uniqueName('billing');
    const published = await client.publish(topic, '{"id":7}', { key: 'customer-7', headers: { trace: 'abc' } });
    const record: ConsumedRecord = {
      topic,
      partition: published.partition,
      offset: published.offset,
      key: Buffer.from('customer-7'),
      value: Buffer.from('{"id":7}'),
      headers: { trace: Buffer.from('abc') },
      timestamp: null,
      replay: false,
      event: null,
    };
    const dead = await client.nack(record, { group, reason: 'no such customer', deadLetter: true });
    expect(dead).toMatchObject({ topic: `${topic}.${group}.dlq`, deadLettered: true, attempt: 1 });

    const address = ['--address', gateway.address];
    const list = await runCli(['dlq', 'list', topic, '--group', group, ...address]);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(lines(list.stdout)).toEqual([
      [dead.partition, dead.offset, `${topic}/${published.partition}@${published.offset}`, '1', 'no such customer', 'customer-7', '{"id":7}'].join('\t'),
    ]);
    const json = await runCli(['dlq', 'list', topic, '--group', group, '--format', 'json', ...address]);
    expect(JSON.parse(lines(json.stdout)[0]!).headers).toMatchObject({ trace: 'abc', 'sluice-reason': 'no such customer', 'sluice-group': group });

    const replay = await runCli(['dlq', 'replay', topic, '--group', group, ...address]);
    expect(replay).toMatchObject({ code: 0, stdout: '', stderr: `replayed 1 record from ${topic}.${group}.dlq\n` });
    const ends = await client.getEndOffsets(topic);
    expect(ends.get(published.partition)).toBe(published.offset + 1n);
    const copy = await runCli(['consume', topic, '--group', uniqueName('check'), '--until-end', '--format', 'json', ...address]);
    const replayed = lines(copy.stdout).map((line) => JSON.parse(line) as { offset: string; key: string; value: string; headers: Record<string, string> });
    expect(replayed.at(-1)).toMatchObject({ offset: String(published.offset + 1n), key: 'customer-7', value: '{"id":7}', headers: { trace: 'abc' } });
    expect(Object.keys(replayed.at(-1)!.headers)).toEqual(['trace']);

    // Replayed once: a second run finds nothing new.
    const again = await runCli(['dlq', 'replay', topic, '--group', group, ...address]);
    expect(again).toMatchObject({ code: 0, stderr: `replayed 0 records from ${topic}.${group}.dlq\n` });
    // An empty (never written) dead-letter topic lists nothing.
    expect(await runCli(['dlq', 'list', uniqueName('none'), '--group', group, ...address])).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});
