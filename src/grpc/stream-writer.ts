import type { ServerWritableStream } from '@grpc/grpc-js';

/**
 * Writes one message, and when grpc-js reports its buffer full (write()
 * returns false at its fixed high-water mark of 16 messages) waits for
 * 'drain' or for `signal` to abort; resolves true when it had to wait. Without this wait a client that stops
 * reading would make the server buffer without bound.
 */
export async function writeWithBackpressure<T>(call: ServerWritableStream<unknown, T>, message: T, signal: AbortSignal): Promise<boolean> {
  if (call.write(message)) return false;
  if (signal.aborted) return false;
  await drained(call, signal);
  return true;
}

/**
 * Resolves at the stream's next 'drain' or when `signal` aborts: call it only
 * after write() returned false. The record path writes synchronously while
 * write() returns true and awaits this only then (no await per record).
 */
export function drained(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Bytes written to a stream that grpc-js has not yet reported written (its
 * write callbacks), for a bound in bytes where grpc-js bounds only the number
 * of queued messages (16): a write of many per-record messages
 * (receiveHandler) would otherwise let a stalled client hold 16 such writes.
 */
export class BytesInFlight {
  private bytes = 0;
  private waiter: (() => void) | undefined;

  constructor(private readonly limit: number) {}

  /** Counts a write of `size` bytes; the returned callback (for write()) uncounts it. */
  add(size: number, then?: () => void): () => void {
    this.bytes += size;
    return () => {
      this.bytes -= size;
      then?.();
      if (this.bytes <= this.limit) this.wake();
    };
  }

  /** Resolves once the bytes in flight are back within the limit, or `signal` aborts. */
  async within(signal: AbortSignal): Promise<boolean> {
    if (this.bytes <= this.limit || signal.aborted) return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        this.waiter = undefined;
        resolve();
      };
      this.waiter = done;
      signal.addEventListener('abort', done, { once: true });
    });
    return true;
  }

  private wake(): void {
    this.waiter?.();
  }
}
