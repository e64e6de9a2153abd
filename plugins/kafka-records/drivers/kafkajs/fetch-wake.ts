import { createRequire } from 'node:module';
import { kafkajsVersionMismatch, type Installation } from './kafkajs-version.ts';

/**
 * Lets a resumed partition be fetched at once. When every partition a
 * kafkajs fetcher serves is paused, kafkajs's ConsumerGroup.fetch sleeps its
 * whole fetch max wait (KAFKA_FETCH_MAX_WAIT_MS) before it looks again, and
 * that sleep cannot be cut short: a partition resumed meanwhile waits out the
 * rest of it. The gateway pauses a partition whenever its reader's buffer is
 * full, so a reader that drained its buffer stood idle for most of that
 * sleep after every fetch (in a receive run of 100 B records on four
 * partitions, readers waited for records about 80 % of the time).
 *
 * Here ConsumerGroup.fetch, when nothing it would fetch is active, waits for
 * the first resume of that consumer group instead (or the same max wait,
 * whichever comes first), then calls kafkajs's fetch with a zero sleep if
 * still nothing is active, so an idle, fully paused member loops exactly as
 * often as before. Everything else, seeks included, is kafkajs's own fetch.
 */

const require = createRequire(import.meta.url);

type TopicPartitions = Array<{ topic: string; partitions: number[] }>;
interface ConsumerGroupLike {
  maxWaitTime: number;
  subscriptionState: { assigned(): TopicPartitions; isPaused(topic: string, partition: number): boolean };
  filterPartitionsByNode(nodeId: number, topicPartitions: TopicPartitions): TopicPartitions;
  fetch(nodeId: number): Promise<unknown[]>;
  resume(topicPartitions: unknown): void;
  [WAITERS]?: Set<() => void>;
}
interface ConsumerGroupClass {
  prototype: ConsumerGroupLike;
}

const WAITERS = Symbol('sluice.fetchWaiters');

/** Whether the fetcher for `nodeId` has a partition to fetch (assigned, led by that broker, not paused). */
function hasActive(group: ConsumerGroupLike, nodeId: number): boolean {
  for (const { topic, partitions } of group.filterPartitionsByNode(nodeId, group.subscriptionState.assigned())) {
    for (const partition of partitions) if (!group.subscriptionState.isPaused(topic, partition)) return true;
  }
  return false;
}

/** Fetchers of this process waiting for a resume (for tests: a fetcher that would otherwise sleep). */
let waiting = 0;
export const fetchersWaitingForResume = (): number => waiting;

function waitForResume(group: ConsumerGroupLike, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const waiters = (group[WAITERS] ??= new Set());
    waiting++;
    const done = () => {
      clearTimeout(timer);
      if (waiters.delete(done)) waiting--;
      resolve();
    };
    const timer = setTimeout(done, ms);
    waiters.add(done);
  });
}

let installed = false;

/** Wraps kafkajs's ConsumerGroup fetch and resume (once per process); says why not on another kafkajs version. */
export function installKafkajsFetchWake(): Installation {
  if (installed) return { installed };
  const mismatch = kafkajsVersionMismatch('test/kafka/fetch-wake.test.ts');
  if (mismatch !== undefined) return { installed, reason: mismatch };
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as ConsumerGroupClass;
  const proto = ConsumerGroup.prototype;
  const fetch = proto.fetch;
  const resume = proto.resume;
  if (typeof fetch !== 'function' || typeof resume !== 'function' || typeof proto.filterPartitionsByNode !== 'function') {
    return { installed, reason: 'kafkajs ConsumerGroup has no fetch, resume or filterPartitionsByNode' };
  }
  proto.fetch = async function (this: ConsumerGroupLike, nodeId: number): Promise<unknown[]> {
    if (hasActive(this, nodeId)) return fetch.call(this, nodeId);
    const maxWait = this.maxWaitTime;
    await waitForResume(this, maxWait);
    if (hasActive(this, nodeId)) return fetch.call(this, nodeId);
    // Still all paused: kafkajs's fetch (metadata, assignment checks, seeks) without its second sleep.
    this.maxWaitTime = 0;
    try {
      return await fetch.call(this, nodeId);
    } finally {
      this.maxWaitTime = maxWait;
    }
  };
  proto.resume = function (this: ConsumerGroupLike, topicPartitions: unknown): void {
    resume.call(this, topicPartitions);
    const waiters = this[WAITERS];
    if (waiters) for (const wake of [...waiters]) wake();
  };
  installed = true;
  return { installed };
}
