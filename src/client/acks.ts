import { timer, type Subject, type Subscription as RxSubscription } from 'rxjs';
import type { AckReason, SubscriptionEvent } from './types.ts';

interface QueuedFlush {
  reason: AckReason;
  /** undefined: every partition. */
  partitions: Set<number> | undefined;
  done: Promise<void>;
}

/** Stores a position: resolves once the gateway confirms, rejects otherwise. */
export type SendAck = (partition: number, offset: bigint) => Promise<void>;

/**
 * Coalesces acks: per partition only the latest wanted offset is kept, and
 * flushes run one at a time so an older offset can never be stored after a
 * newer one (the gateway keeps the last ack it got). A failed ack stays
 * pending and is sent again by the next flush.
 */
export class AckBatcher {
  /** The offset to store per partition (the latest intent, never deleted). */
  private readonly wanted = new Map<number, bigint>();
  /** Partitions whose wanted offset is not yet confirmed. */
  private readonly dirty = new Set<number>();
  private sinceFlush = 0;
  private timer: RxSubscription | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The flush waiting for the one in flight, if any (later flushes join it). */
  private queued: QueuedFlush | undefined;
  private readonly lastError = new Map<number, Error>();
  private stopped = false;

  constructor(
    private readonly send: SendAck,
    private readonly every: { records: number; ms: number },
    private readonly events: Subject<SubscriptionEvent>,
  ) {}

  /** A record was processed: ack it with the next flush (after `records` records or `ms` ms, whichever first). */
  processed(partition: number, offset: bigint): void {
    // After the subscription left the group, a late ack could overwrite the next owner's.
    if (this.stopped) return;
    this.want(partition, offset);
    this.sinceFlush++;
    if (this.sinceFlush >= this.every.records) {
      void this.flush('records');
    } else if (this.timer === undefined) {
      this.timer = timer(this.every.ms).subscribe(() => void this.flush('time'));
    }
  }

  /** Sets the offset to store for `partition` without flushing. */
  want(partition: number, offset: bigint): void {
    this.wanted.set(partition, offset);
    this.dirty.add(partition);
  }

  /** Sends what is pending (of `partitions`, or all); resolves when done. Never rejects: failures stay pending. */
  flush(reason: AckReason, partitions?: readonly number[]): Promise<void> {
    if (partitions === undefined) {
      this.sinceFlush = 0;
      this.timer?.unsubscribe();
      this.timer = undefined;
    }
    // A flush waiting for the one in flight takes this one's partitions too:
    // it reads the latest offsets when it starts, so with slow acks flushes
    // merge instead of queueing one per trigger.
    const queued = this.queued;
    if (queued !== undefined) {
      if (queued.partitions !== undefined) {
        if (partitions === undefined) queued.partitions = undefined;
        else for (const p of partitions) queued.partitions.add(p);
      }
      return queued.done;
    }
    const next: QueuedFlush = { reason, partitions: partitions === undefined ? undefined : new Set(partitions), done: Promise.resolve() };
    this.queued = next;
    next.done = this.chain.then(() => {
      if (this.queued === next) this.queued = undefined;
      return this.sendPending(next.reason, next.partitions === undefined ? undefined : [...next.partitions]);
    });
    this.chain = next.done.then(
      () => undefined,
      () => undefined,
    );
    return this.chain;
  }

  /** Stores `offset` now and waits for the gateway; rejects if it could not be stored. */
  async ackNow(partition: number, offset: bigint, reason: AckReason): Promise<void> {
    if (this.stopped) throw new Error('the subscription is closed');
    this.want(partition, offset);
    await this.flush(reason, [partition]);
    if (this.dirty.has(partition) && this.wanted.get(partition) === offset) throw this.lastError.get(partition) ?? new Error('ack failed');
  }

  /** Forgets what is pending for `partition` (it moved to another member). */
  drop(partition: number): void {
    this.dirty.delete(partition);
    this.wanted.delete(partition);
    this.lastError.delete(partition);
  }

    get pending(): ReadonlyMap<number, bigint> {
    return new Map([...this.dirty].map((p) => [p, this.wanted.get(p)!]));
  }

  /** No more acks: called once the final flush is done. */
  stop(): void {
    this.stopped = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  private async sendPending(reason: AckReason, partitions: readonly number[] | undefined): Promise<void> {
    const targets = [...this.dirty].filter((p) => partitions === undefined || partitions.includes(p));
    await Promise.all(
      targets.map(async (partition) => {
        const offset = this.wanted.get(partition)!;
        try {
          await this.send(partition, offset);
          if (this.wanted.get(partition) === offset) this.dirty.delete(partition);
          this.lastError.delete(partition);
          this.events.next({ type: 'acked', partition, offset, reason });
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          this.lastError.set(partition, error);
          this.events.next({ type: 'ack-failed', partition, offset, reason, error });
        }
      }),
    );
  }
}
