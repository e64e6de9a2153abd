import type { TestClient } from '../../support/client.ts';
import { connect, sleep, unary } from './rpc.ts';

export interface PositionMove {
  partition: number;
  from: bigint;
  to: bigint;
}

/**
 * Polls GetOffsets (through any gateway that answers) and records every time
 * a partition's acked position is lower than one seen before.
 */
export class PositionWatch {
  readonly highest = new Map<number, bigint>();
  readonly movedBack: PositionMove[] = [];
  polls = 0;
  private readonly clients: TestClient[];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    addresses: string[],
    private readonly topic: string,
    private readonly group: string,
    private readonly intervalMs = 100,
  ) {
    this.clients = addresses.map(connect);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.pollOnce();
    this.clients.forEach((c) => c.close());
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.pollOnce();
      await sleep(this.intervalMs);
    }
  }

  private async pollOnce(): Promise<void> {
    for (const client of this.clients) {
      try {
        const reply = await unary<{ offsets: Record<string, string> }>(client, 'GetOffsets', { topic: this.topic, group: this.group }, 2_000);
        this.observe(reply.offsets);
        this.polls++;
        return;
      } catch {
        // This gateway is down or cut off from Redis: ask the next, or the next round.
      }
    }
  }

  private observe(offsets: Record<string, string>): void {
    for (const [key, value] of Object.entries(offsets)) {
      const partition = Number(key);
      const offset = BigInt(value);
      const before = this.highest.get(partition);
      if (before !== undefined && offset < before) this.movedBack.push({ partition, from: before, to: offset });
      if (before === undefined || offset > before) this.highest.set(partition, offset);
    }
  }
}
