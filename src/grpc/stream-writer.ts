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
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
  return true;
}
