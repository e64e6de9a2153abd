import { createRequire } from 'node:module';
import fc from 'fast-check';
import type { Message, PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { ProducedRecord } from '../../plugins/kafka-records/driver.ts';
import { partitionedTopicMessages, recordPartitioner } from '../../plugins/kafka-records/drivers/kafkajs/partitioned-messages.ts';

const require = createRequire(import.meta.url);
/** kafkajs's own grouping, as its sendBatch calls it (producer/sendMessages.js). */
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: {
  topic: string;
  partitionMetadata: PartitionerArgs['partitionMetadata'];
  messages: Message[];
  partitioner: (args: PartitionerArgs) => number;
}) => Record<string, Message[]>;

const partitionMetadata = (count: number) => Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

const record = fc.record({
  topic: fc.constantFrom('a', 'b', 'c'),
  partition: fc.integer({ min: 0, max: 11 }),
  key: fc.option(fc.string().map((s) => Buffer.from(s)), { nil: null }),
  value: fc.option(fc.string().map((s) => Buffer.from(s)), { nil: null }),
  headers: fc.constant({}),
}) as fc.Arbitrary<ProducedRecord>;

/** kafkajs's grouping of a topic's messages, with our array or with a plain copy of it. */
function grouped(topic: string, messages: Message[], plain: boolean) {
  return groupMessagesPerPartition({ topic, partitionMetadata: partitionMetadata(12), messages: plain ? [...messages] : messages, partitioner: recordPartitioner() });
}

/** Keys in order, each partition's messages by identity. */
const shape = (grouping: Record<string, Message[]>) => Object.keys(grouping).map((key): [string, Message[]] => [key, grouping[key]!]);

describe('kafkajs driver: records grouped by partition for sendBatch', () => {
  it("kafkajs's groupMessagesPerPartition gives the grouping it would have built itself, for every topic", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), (records) => {
        const topicMessages = partitionedTopicMessages(records);
        expect(topicMessages.map((t) => t.topic)).toEqual([...new Set(records.map((r) => r.topic))]);
        for (const { topic, messages } of topicMessages) {
          expect(messages).toEqual(records.filter((r) => r.topic === topic));
          const ours = grouped(topic, messages, false);
          const kafkajs = grouped(topic, messages, true);
          expect(shape(ours)).toEqual(shape(kafkajs));
          for (const [key, list] of shape(ours)) list.forEach((m, i) => expect(m).toBe(kafkajs[key]![i]));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('skips the per-message reducer (linear, not quadratic), and every other reduce is the array one', () => {
    const records: ProducedRecord[] = Array.from({ length: 1000 }, (_, i) => ({ topic: 't', partition: i % 4, key: null, value: Buffer.from('v'), headers: {} }));
    const { messages } = partitionedTopicMessages(records)[0]!;
    let reducerCalls = 0;
    const counted = messages.reduce((result: Record<number, Message[]>, message) => {
      reducerCalls++;
      (result[message.partition!] ??= []).push(message);
      return result;
    }, {});
    expect(reducerCalls).toBe(0);
    expect(Object.keys(counted)).toEqual(['0', '1', '2', '3']);
    expect(counted[1]).toHaveLength(250);
    expect(messages.reduce((n) => n + 1, 0)).toBe(1000);
    expect(messages.reduce((a, m) => (m.partition! > a.partition! ? m : a))).toBe(records[3]);
    expect(messages.reduce((n: { count: number }) => ({ count: n.count + 1 }), { count: 0 })).toEqual({ count: 1000 });
    expect(Object.keys(messages)).toHaveLength(1000);
  });

  it("the partitioner answers a message's own partition, and kafkajs's default choice without one", () => {
    const partition = recordPartitioner();
    const args = (message: Message) => ({ topic: 't', partitionMetadata: partitionMetadata(5), message });
    expect(partition(args({ partition: 3, value: null }))).toBe(3);
    expect(partition(args({ partition: 0, value: null }))).toBe(0);
    const keyed = partition(args({ key: Buffer.from('k'), value: null }));
    expect(keyed).toBeGreaterThanOrEqual(0);
    expect(keyed).toBeLessThan(5);
  });
});
