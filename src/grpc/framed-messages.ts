import { createRequire } from 'node:module';

/**
 * Large replies written with room for gRPC's 5-byte message prefix in front,
 * so grpc-js sends them without copying them. grpc-js frames every message
 * it sends by allocating its length plus 5 bytes and copying the message in
 * (BaseServerInterceptingCall.serializeMessage); for ReceiveBatch's 1 MiB
 * messages that was a fresh 1 MiB buffer and a 1 MiB copy per message, 4 %
 * of the gateway's main thread receiving 1 KiB records, plus the garbage.
 *
 * framedBuffer() allocates a message with the room and marks it; the
 * wrapped serializeMessage writes the prefix into the room of a marked
 * message (written by our handlers, whose serializer passes bytes through)
 * and hands grpc-js a view of prefix and message: the same bytes on the
 * wire. Anything else is framed by grpc-js as before.
 */

const require = createRequire(import.meta.url);
const PREFIX = 5;
const framed = new WeakSet<Uint8Array>();

/** A buffer of `size` bytes with the message prefix's room in front of it. */
export function framedBuffer(size: number): Buffer {
  const buf = Buffer.allocUnsafe(PREFIX + size).subarray(PREFIX);
  framed.add(buf);
  return buf;
}

/** Bytes of a pooled buffer: a ReceiveBatch message of the default max_bytes (1 MiB) plus one record over. */
const POOLED_BYTES = 1024 * 1024 + 64 * 1024;
/** Messages smaller than this are not pooled (a pooled buffer then holds at most 4 times its message). */
const POOLED_MIN = POOLED_BYTES / 4;
/** Idle pooled buffers kept for reuse, at most (the rest are left to the garbage collector). */
const POOL_IDLE = 16;

/**
 * Reused buffers for large replies. Each fresh 1 MiB reply was garbage once
 * sent, and V8 answers that much external memory with frequent scavenges
 * and full collections (every 50 ms or so while receiving 1 KiB records,
 * 22 % of the main thread). A buffer goes back to the pool when grpc-js
 * reports its message written (the write callback: HTTP/2 has handed the
 * bytes to the socket and no longer reads them), never earlier; one whose
 * callback never comes (a cancelled call) is simply collected.
 */
class ReplyPool {
  private readonly idle: ArrayBuffer[] = [];

  /** A framed buffer of `size` bytes and the function that returns it to the pool once written. */
  take(size: number): { buf: Buffer; release: () => void } {
    // Small messages get buffers of their own size: a slow client's queue of them must not hold 1 MiB each.
    if (size + PREFIX > POOLED_BYTES || size < POOLED_MIN) return { buf: framedBuffer(size), release: () => undefined };
    const backing = this.idle.pop() ?? new ArrayBuffer(POOLED_BYTES);
    const buf = Buffer.from(backing, PREFIX, size);
    framed.add(buf);
    let released = false;
    return {
      buf,
      release: () => {
        if (released) return;
        released = true;
        if (this.idle.length < POOL_IDLE) this.idle.push(backing);
      },
    };
  }
}

export const replyPool = new ReplyPool();

/** Buffers that already hold one or more complete gRPC messages, prefixes included. */
const complete = new WeakSet<Uint8Array>();

/**
 * A buffer for several complete gRPC messages, written back to back with
 * their prefixes (writeMessagePrefix), which grpc-js then sends as it is:
 * one HTTP/2 write for many messages. The bytes on the wire are the same as
 * for the messages written one by one; a client reads them one by one.
 */
export function messagesBuffer(size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  complete.add(buf);
  return buf;
}

/** Bytes of a message's prefix: an uncompressed flag and its length. */
export const MESSAGE_PREFIX = PREFIX;

interface InterceptingCall {
  serializeMessage(value: unknown): Buffer;
}

let installed = false;

/** Wraps grpc-js's serializeMessage (once per process); says why not when grpc-js has none. */
export function installFramedMessages(): { installed: boolean; reason?: string } {
  if (installed) return { installed };
  const module = require('@grpc/grpc-js/build/src/server-interceptors.js') as { BaseServerInterceptingCall?: { prototype: InterceptingCall } };
  const proto = module.BaseServerInterceptingCall?.prototype;
  const serialize = proto?.serializeMessage;
  if (proto === undefined || typeof serialize !== 'function' || serialize.length !== 1) {
    return { installed, reason: 'grpc-js has no BaseServerInterceptingCall.serializeMessage(value)' };
  }
  proto.serializeMessage = function (this: InterceptingCall, value: unknown): Buffer {
    if (!(value instanceof Uint8Array)) return serialize.call(this, value);
    if (complete.has(value)) return value as Buffer;
    if (!framed.has(value)) return serialize.call(this, value);
    // Uncompressed (grpc-js sends no compressed responses), then the length.
    const message = Buffer.from(value.buffer, value.byteOffset - PREFIX, value.byteLength + PREFIX);
    message[0] = 0;
    message.writeUInt32BE(value.byteLength, 1);
    return message;
  };
  installed = true;
  return { installed };
}

/** Whether grpc-js sends framedBuffer() messages without a copy in this process. */
export const framedMessagesInstalled = (): boolean => installed;
