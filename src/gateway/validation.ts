import { InvalidArgumentError } from '../contracts/index.ts';

// Kafka's own rule for topic names; enforced for every store so that a topic
// that works on the embedded store also works on Kafka.
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const MAX_GROUP_LENGTH = 249;

export function requireTopic(field: string, topic: string): string {
  if (topic === '') throw new InvalidArgumentError(field, 'must not be empty');
  if (!TOPIC.test(topic)) {
    throw new InvalidArgumentError(field, `"${clip(topic)}" is not a valid topic name: use 1 to 249 of [a-zA-Z0-9._-]`);
  }
  if (topic === '.' || topic === '..') throw new InvalidArgumentError(field, `"${topic}" is not a valid topic name`);
  return topic;
}

export function requireGroup(field: string, group: string): string {
  if (group === '') throw new InvalidArgumentError(field, 'must not be empty');
  if (group.length > MAX_GROUP_LENGTH) throw new InvalidArgumentError(field, `must be at most ${MAX_GROUP_LENGTH} characters`);
  if ([...group].some((c) => c.charCodeAt(0) < 0x20)) throw new InvalidArgumentError(field, 'must not contain control characters');
  return group;
}

export function requireSessionId(field: string, sessionId: string): string {
  if (sessionId === '') throw new InvalidArgumentError(field, 'must not be empty');
  return sessionId;
}

function clip(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
