import { afterAll, beforeAll } from 'vitest';
import { partitionForKey } from '../../src/contracts/index.ts';
import { connect, type ConnectOptions, type ConsumedRecord, type PartitionStream, type SluiceClient, type Subscription, type SubscriptionEvent } from '../../src/client/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

/** A gateway on the memory stores and a client connected to it, for the enclosing describe block. */
export function gatewayWithClient(partitions: number, options: ConnectOptions = {}): { gateway: TestGateway; client: SluiceClient } {
  const context = {} as { gateway: TestGateway; client: SluiceClient };
  beforeAll(async () => {
    context.gateway = await startTestGateway({ MEMORY_PARTITIONS: String(partitions) });
    context.client = connect(context.gateway.address, options);
  });
  afterAll(async () => {
    await context.client?.close();
    await context.gateway?.stop();
  });
  return context;
}

/** A key that the gateway's partitioner puts in `partition` (of `partitions`). */
export function keyFor(partition: number, partitions: number, prefix = 'key'): string {
  for (let i = 0; ; i++) {
    const key = `${prefix}-${i}`;
    if (partitionForKey(Buffer.from(key), partitions) === partition) return key;
  }
}

/** Publishes `values` under `key`, in order; returns their offsets. */
export async function publishAll(client: SluiceClient, topic: string, key: string, values: string[]): Promise<bigint[]> {
  const offsets: bigint[] = [];
  for (const value of values) offsets.push((await client.publish(topic, value, { key })).offset);
  return offsets;
}

export const values = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/**
 * Records a subscription's events from now on, and waits for the first one
 * (seen before or after the call) matching a predicate.
 */
export class EventLog {
  readonly events: SubscriptionEvent[] = [];
  private waiters: Array<() => void> = [];

  constructor(subscription: Subscription) {
    subscription.events$.subscribe((event) => {
      this.events.push(event);
      const waiting = this.waiters;
      this.waiters = [];
      waiting.forEach((wake) => wake());
    });
  }

  of<T extends SubscriptionEvent['type']>(type: T): Extract<SubscriptionEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<SubscriptionEvent, { type: T }> => e.type === type);
  }

  async waitFor<T extends SubscriptionEvent['type']>(
    type: T,
    predicate: (event: Extract<SubscriptionEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<Extract<SubscriptionEvent, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(type).find(predicate);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${type}" event matched within ${timeoutMs} ms; events: ${describe(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

function describe(events: SubscriptionEvent[]): string {
  return JSON.stringify(events.map((e) => ({ ...e, ...('offset' in e ? { offset: String(e.offset) } : {}), ...('error' in e ? { error: e.error.message } : {}) })));
}

/** Takes partition streams from a subscription without closing it (leaving a for-await loop would). */
export class Streams {
  private readonly iterator: AsyncIterator<PartitionStream>;
  private readonly seen: PartitionStream[] = [];

  constructor(subscription: Subscription) {
    this.iterator = subscription[Symbol.asyncIterator]();
  }

  /** The next stream for `partition` not handed out yet. */
  async for(partition: number): Promise<PartitionStream> {
    const earlier = this.seen.findIndex((s) => s.partition === partition);
    if (earlier >= 0) return this.seen.splice(earlier, 1)[0]!;
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) throw new Error(`the subscription ended before partition ${partition} was assigned`);
      if (next.value.partition === partition) return next.value;
      this.seen.push(next.value);
    }
  }

  /** The next stream of any partition. */
  async next(): Promise<PartitionStream> {
    const earlier = this.seen.shift();
    if (earlier !== undefined) return earlier;
    const next = await this.iterator.next();
    if (next.done) throw new Error('the subscription ended');
    return next.value;
  }
}

/** Pulls `count` records; the last one stays held (not processed) unless `markLastDone`. */
export async function take(stream: PartitionStream, count: number, markLastDone = false): Promise<ConsumedRecord[]> {
  const iterator = stream[Symbol.asyncIterator]();
  const out: ConsumedRecord[] = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error(`partition ${stream.partition} ended after ${out.length} of ${count} records`);
    out.push(next.value);
  }
  if (markLastDone) stream.markDone();
  return out;
}
