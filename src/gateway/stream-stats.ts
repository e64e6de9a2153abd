import type { GroupId } from '../contracts/index.ts';

export interface StreamCounter {
  readonly sessionId: string;
  readonly topic: string;
  readonly group: GroupId;
  readonly partition: number;
  /** Records taken from the store by this Receive, delivered or not yet. */
  pulled: number;
  /** Records handed to the transport. */
  delivered: number;
  /** A record is with the transport, not yet accepted by the client (grpc-js waiting for 'drain' when it lasts). */
  inHand: boolean;
  /** Set by sample(): since when a record has been in hand without another one delivered. */
  blockedSince: number | undefined;
  /** delivered at the last sample(). */
  sampled: number;
  readonly openedAt: number;
}

/**
 * Per-Receive counters: how far each stream has pulled from the store and
 * delivered. With backpressure working, a stalled client's `pulled` stops
 * growing. Costs the record path two increments and a flag.
 */
export class StreamStats {
  private readonly counters = new Set<StreamCounter>();
  private closedDelivered = 0;

  open(session: { id: string; topic: string; group: GroupId }, partition: number): StreamCounter {
    const counter: StreamCounter = {
      sessionId: session.id,
      topic: session.topic,
      group: session.group,
      partition,
      pulled: 0,
      delivered: 0,
      inHand: false,
      blockedSince: undefined,
      sampled: 0,
      openedAt: Date.now(),
    };
    this.counters.add(counter);
    return counter;
  }

  close(counter: StreamCounter): void {
    if (this.counters.delete(counter)) this.closedDelivered += counter.delivered;
  }

  streams(): readonly StreamCounter[] {
    return [...this.counters];
  }

  /** Records delivered by every stream since start, open or closed. */
  get deliveredTotal(): number {
    let total = this.closedDelivered;
    for (const counter of this.counters) total += counter.delivered;
    return total;
  }

  /**
   * Marks streams blocked on their client: a record in hand and none delivered
   * since the previous sample. Called by readers (metrics, dashboard) on their schedule.
   */
  sample(now = Date.now()): void {
    for (const counter of this.counters) {
      if (counter.inHand && counter.delivered === counter.sampled) counter.blockedSince ??= now;
      else counter.blockedSince = undefined;
      counter.sampled = counter.delivered;
    }
  }
}
