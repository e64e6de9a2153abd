import kafkajs, { type ICustomPartitioner, type Message, type TopicMessages } from 'kafkajs';
import type { ProducedRecord } from '../../driver.ts';
import { kafkajsVersionMismatch } from './kafkajs-version.ts';

/**
 * The records of a produce request as kafkajs's sendBatch takes them, grouped
 * by partition here in one pass.
 *
 * Why: kafkajs groups each topic's messages by partition itself
 * (producer/groupMessagesPerPartition.js), with `messages.reduce` copying the
 * partition's array for every message it adds (`[...current, message]`) and
 * calling the partitioner, which filters the partition list, per message:
 * with 1,000 records on 4 partitions, 125,000 element copies and about 1 MB of
 * garbage per request, and quadratic in the records per partition. It was the
 * gateway's largest single function in the PublishBatch profile.
 *
 * How: the records already carry their partition, so each topic's messages
 * go to kafkajs as an array whose `reduce`, when called as
 * groupMessagesPerPartition calls it (a reducer and an empty object), fills
 * that object with the grouping made here: what kafkajs's reducer builds
 * (partition keys, each partition's messages in order), since the producer's
 * partitioner (recordPartitioner) returns each message's partition. Any other
 * call is Array.prototype.reduce's. test/unit/kafkajs-partitioned-messages.test.ts
 * checks the result against kafkajs's own groupMessagesPerPartition. On
 * another kafkajs version than the one checked (kafkajs-version.ts) the
 * arrays are plain ones and kafkajs groups them itself.
 */
export function partitionedTopicMessages(records: readonly ProducedRecord[]): TopicMessages[] {
  const byTopic = new Map<string, { messages: Message[]; byPartition: Record<number, Message[]> }>();
  let topic: string | undefined;
  let current: { messages: Message[]; byPartition: Record<number, Message[]> } | undefined;
  for (const record of records) {
    if (record.topic !== topic) {
      topic = record.topic;
      current = byTopic.get(topic);
      if (current === undefined) byTopic.set(topic, (current = { messages: [], byPartition: {} }));
    }
    // The record is kafkajs's message as it is (kafkajs reads partition, key, value, headers; topic is ignored).
    current!.messages.push(record);
    (current!.byPartition[record.partition] ??= []).push(record);
  }
  const topicMessages: TopicMessages[] = [];
  for (const [name, { messages, byPartition }] of byTopic) topicMessages.push({ topic: name, messages: withGrouping(messages, byPartition) });
  return topicMessages;
}

/** Whether the kafkajs found is the one whose grouping the arrays answer for (checked once). */
const groupingChecked = kafkajsVersionMismatch('test/unit/kafkajs-partitioned-messages.test.ts') === undefined;

function withGrouping(messages: Message[], byPartition: Record<number, Message[]>): Message[] {
  if (!groupingChecked) return messages;
  Object.defineProperty(messages, 'reduce', {
    value: function reduce(this: Message[], ...args: Parameters<Message[]['reduce']>) {
      const [, initial] = args;
      if (args.length === 2 && typeof args[0] === 'function' && isEmptyPlainObject(initial)) return Object.assign(initial, byPartition);
      return (Array.prototype.reduce as (...a: unknown[]) => unknown).apply(this, args);
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return messages;
}

function isEmptyPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const _ in value) return false;
  return true;
}

/**
 * The producer's partitioner: a message's own partition (every record the
 * store sends has one), else kafkajs's default choice.
 */
export const recordPartitioner: ICustomPartitioner = () => {
  const fallback = kafkajs.Partitioners.DefaultPartitioner();
  return (args) => args.message.partition ?? fallback(args);
};
