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
