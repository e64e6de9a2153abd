import type { TestClient } from '../../support/client.ts';
import { connect, sleep, unary } from './rpc.ts';

/** One record the gateway confirmed (Publish returned OK). */
export interface Published {
  /** The record's key ('' for none: such records spread over partitions, no order among them). */
  key: string;
  seq: number;
  partition: number;
  offset: bigint;
  /** performance.now() when the reply came. */
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
  /** Builds the record body for (lane, seq); default: key `k<lane>`, value `k<lane>:<seq>`. */
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
      const body = this.options.record?.(lane, seq) ?? { key: Buffer.from(`k${lane}`), value: Buffer.from(`k${lane}:${seq}`) };
      for (;;) {
        if (this.stopped) return;
        try {
          const reply = await unary<{ partition: number; offset: string }>(this.clients[target]!, 'Publish', { topic: this.options.topic, ...body }, 5_000);
          this.published.push({ key: body.key.toString('latin1'), seq, partition: reply.partition, offset: BigInt(reply.offset), at: performance.now() });
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
