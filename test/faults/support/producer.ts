import { partitionForKey } from '../../../src/contracts/partitioning.ts';
import type { TestClient } from '../../support/client.ts';
import { connect, sleep, unary } from './rpc.ts';

/** Partitions of the suite's topics (gatewayEnv's KAFKA_TOPIC_PARTITIONS). */
export const PARTITIONS = 4;

/** Lane `lane`'s key, picked so that lanes cover every partition in turn (Kafka's murmur2, as the gateway partitions). */
export function laneKey(lane: number): string {
  for (let n = 0; ; n++) {
    const key = `k${lane}-${n}`;
    if (partitionForKey(Buffer.from(key), PARTITIONS) === lane % PARTITIONS) return key;
  }
}

/** One record the gateway confirmed (Publish returned OK). */
export interface Published {
  /** The record's key ('' for none: such records spread over partitions, no order among them). */
  key: string;
  seq: number;
  partition: number;
  offset: bigint;
  /** performance.now() when the successful Publish was sent, and when its reply came. */
  sentAt: number;
  at: number;
}

export interface ProducerOptions {
  addresses: string[];
  topic: string;
  /** Keys published in parallel, one lane each: records of a key are published one after another. */
  keys: number;
  /** Records per key. */
  perKey: number;
  /** Pause between two records of a lane, to spread publishing over the fault. */
  intervalMs: number;
  /** Builds the record body for (lane, seq); default: key laneKey(lane), value `<key>:<seq>`. */
  record?: (lane: number, seq: number) => { key: Buffer; value: Buffer; headers?: Record<string, Buffer> };
}

/**
 * Publishes numbered records through the gateway(s). A failed Publish is
 * retried (next address, short backoff) until it succeeds, so every lane's
 * records reach the log in order; a retried Publish whose first attempt did
 * land leaves a second copy in the log, which is not counted as published.
 */
export class Producer {
  readonly published: Published[] = [];
  failedAttempts = 0;
  private readonly clients: TestClient[];
  private stopped = false;
  /** Lanes go on past perKey until this holds (set by the verifier: records must also be published after the fault). */
  mayEnd: () => boolean = () => true;

  constructor(private readonly options: ProducerOptions) {
    this.clients = options.addresses.map(connect);
  }

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.keys }, (_, lane) => this.lane(lane)));
  }

  stop(): void {
    this.stopped = true;
  }

  close(): void {
    this.clients.forEach((c) => c.close());
  }

  private async lane(lane: number): Promise<void> {
    let target = lane % this.clients.length;
    for (let seq = 0; (seq < this.options.perKey || !this.mayEnd()) && !this.stopped; seq++) {
      const body = this.options.record?.(lane, seq) ?? { key: Buffer.from(laneKey(lane)), value: Buffer.from(`${laneKey(lane)}:${seq}`) };
      for (;;) {
        if (this.stopped) return;
        const sentAt = performance.now();
        try {
          const reply = await unary<{ partition: number; offset: string }>(this.clients[target]!, 'Publish', { topic: this.options.topic, ...body }, 5_000);
          this.published.push({ key: body.key.toString('latin1'), seq, partition: reply.partition, offset: BigInt(reply.offset), sentAt, at: performance.now() });
          break;
        } catch {
          this.failedAttempts++;
          target = (target + 1) % this.clients.length;
          await sleep(100);
        }
      }
      if (this.options.intervalMs > 0) await sleep(this.options.intervalMs);
    }
  }
}
