export interface StreamCounter {
  readonly sessionId: string;
  readonly partition: number;
  /** Records taken from the store by this Receive, delivered or not yet. */
  pulled: number;
}

/**
 * Per-Receive counters: how far each stream has pulled from the store. With
 * backpressure working, a stalled client's `pulled` stops growing.
 */
export class StreamStats {
  private readonly counters = new Set<StreamCounter>();

  open(sessionId: string, partition: number): StreamCounter {
    const counter = { sessionId, partition, pulled: 0 };
    this.counters.add(counter);
    return counter;
  }

  close(counter: StreamCounter): void {
    this.counters.delete(counter);
  }

  streams(): readonly StreamCounter[] {
    return [...this.counters];
  }
}
