import { status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { ReceiveReplyMessage, TestClient } from '../../support/client.ts';
import { connect, receive, sleep, subscribe, unary, type ServerStream } from './rpc.ts';

/** One record handed to a consumer. */
export interface Delivery {
  member: number;
  /** Which Receive stream brought it: order is checked per stream. */
  stream: number;
  partition: number;
  offset: bigint;
  key: Buffer;
  value: Buffer;
  at: number;
}

export interface MemberOptions {
  id: number;
  /** Gateways to use, in order of preference: on a failed Subscribe the member moves to the next. */
  addresses: string[];
  topic: string;
  group: string;
  autoOffsetReset?: 'EARLIEST' | 'LATEST';
  /** Ack (stateless form) after every N records processed on a partition. */
  ackEvery: number;
  onDelivery(delivery: Delivery): void;
}

let streamIds = 0;

/**
 * A member of the consumer group, written against the wire as any Liiklus
 * client would be: Subscribe, one Receive per assigned partition, process,
 * then ack every N records. It re-opens a Receive that failed while its
 * Subscribe lives (an OK end means the partition was revoked), and
 * re-subscribes, on the next gateway, when the Subscribe fails.
 */
export class Member {
  private readonly clients: TestClient[];
  private target = 0;
  private stopped = false;
  private paused = false;
  private subscription: ServerStream<unknown> | undefined;
  private readonly streams = new Map<number, ServerStream<ReceiveReplyMessage>>();
  private readonly acks = new Map<number, { sent: bigint; pending?: bigint; sending: boolean }>();
  private loop: Promise<void> | undefined;
  acksFailed = 0;
  acksSent = 0;
  subscribes = 0;

  constructor(private readonly options: MemberOptions) {
    this.clients = options.addresses.map(connect);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops reading (the HTTP/2 window fills, the gateway stops sending): a stalled consumer. */
  pause(): void {
    this.paused = true;
    this.streams.forEach((s) => s.pause());
  }

  resume(): void {
    this.paused = false;
    this.streams.forEach((s) => s.resume());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.cancel();
    this.streams.forEach((s) => s.cancel());
    await this.loop;
    this.clients.forEach((c) => c.close());
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const ended = await this.subscribeOnce();
      if (this.stopped) break;
      // UNAVAILABLE from a stopping gateway, or a dead connection: try the next one.
      if (ended.code !== status.OK) this.target = (this.target + 1) % this.clients.length;
      await sleep(250);
    }
  }

  private subscribeOnce(): Promise<StatusObject> {
    const client = this.clients[this.target]!;
    this.subscribes++;
    const call = subscribe(client, { topic: this.options.topic, group: this.options.group, autoOffsetReset: this.options.autoOffsetReset ?? 'EARLIEST' });
    this.subscription = call;
    let alive = true;
    call.on('data', ({ assignment }) => this.openReceive(client, assignment, () => alive));
    call.on('error', () => undefined);
    return new Promise((resolve) => {
      call.on('status', (s: StatusObject) => {
        alive = false;
        this.streams.forEach((stream) => stream.cancel());
        this.streams.clear();
        resolve(s);
      });
    });
  }

  private openReceive(client: TestClient, assignment: { sessionId: string; partition: number }, alive: () => boolean): void {
    const { partition } = assignment;
    this.streams.get(partition)?.cancel();
    const id = ++streamIds;
    const call = receive(client, { assignment });
    this.streams.set(partition, call);
    let processed = 0;
    call.on('data', (reply: ReceiveReplyMessage) => {
      const record = reply.record;
      if (!record || this.streams.get(partition) !== call) return;
      const offset = BigInt(record.offset);
      this.options.onDelivery({ member: this.options.id, stream: id, partition, offset, key: record.key, value: record.value, at: performance.now() });
      if (++processed % this.options.ackEvery === 0) this.ack(client, partition, offset);
    });
    // Paused only once reading has started: grpc-js does not pause the HTTP/2 stream of a call that
    // was never read, and buffers every message client-side (a stream opened during a stall then
    // took in all the records the stall was meant to hold back).
    if (this.paused) call.pause();
    call.on('error', () => undefined);
    call.on('status', (s: StatusObject) => {
      if (this.streams.get(partition) !== call) return;
      this.streams.delete(partition);
      // OK: revoked or the subscription ended. NOT_FOUND: the session is gone. Otherwise re-open while subscribed.
      if (s.code === status.OK || s.code === status.NOT_FOUND || this.stopped || !alive()) return;
      void sleep(250).then(() => {
        if (!this.stopped && alive() && !this.streams.has(partition)) this.openReceive(client, assignment, alive);
      });
    });
  }

  /** Acks are sent one at a time per partition; the newest pending offset replaces an older one. */
  private ack(client: TestClient, partition: number, offset: bigint): void {
    const state = this.acks.get(partition) ?? { sent: -1n, sending: false };
    this.acks.set(partition, state);
    state.pending = offset;
    if (state.sending) return;
    state.sending = true;
    void (async () => {
      while (state.pending !== undefined) {
        const next = state.pending;
        state.pending = undefined;
        try {
          await unary(client, 'Ack', { topic: this.options.topic, group: this.options.group, partition, offset: next.toString() }, 5_000);
          state.sent = next;
          this.acksSent++;
        } catch (err) {
          // Not resent: the next ack carries a higher offset, and a resend after the partition moved could move the new owner back.
          this.acksFailed++;
          void (err as ServiceError);
        }
      }
      state.sending = false;
    })();
  }
}
