import { createRequire } from 'node:module';
import net from 'node:net';
import type { ISocketFactory } from 'kafkajs';
import { kafkajsVersionMismatch, type Installation } from './kafkajs-version.ts';

const require = createRequire(import.meta.url);

/** kafkajs's own keep-alive delay (src/network/socketFactory.js). */
const KEEP_ALIVE_DELAY_MS = 60_000;
/** Where small responses (and the start of every response) are read. */
const SCRATCH_BYTES = 64 * 1024;
/** A read into less room than this starts a new scratch buffer instead. */
const MIN_READ_BYTES = 4 * 1024;
/** A size prefix past this is not a response we frame: the bytes go to kafkajs as they come. */
const MAX_FRAMED_BYTES = 1 << 30;
const SIZE_BYTES = 4;

/**
 * Splits the bytes a broker sends into whole responses (each with its
 * 4-byte size prefix, as kafkajs's Connection.processData expects) and reads
 * a large response straight into one buffer of its size.
 *
 * Why: Node reads a socket 64 KiB at a time; kafkajs keeps the chunks of a
 * response and copies them into one buffer when the last arrives. A 4 MiB
 * fetch response cost 64 reads, 64 allocations of external memory and a
 * 4 MiB copy on the thread that also encodes the gateway's replies (a
 * profile at 1 KiB records: the copy was 6 % of the main thread, 9 % with
 * the reads that fed it).
 * Here libuv reads the rest of a large response into its final buffer, up
 * to its end, and kafkajs gets it as one chunk: no copy and no concat.
 *
 * Bytes handed on are never written again: an emitted view of the scratch
 * buffer stays valid (kafkajs keeps views of a response), and a new scratch
 * buffer is started when the old one is used up.
 */
export class ResponseFramer {
  private scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  /** scratch[start, end) was read but not yet handed on. */
  private start = 0;
  private end = 0;
  /** The large response being read, and how much of it has been. */
  private whole: Buffer | null = null;
  private filled = 0;
  /** After a size prefix no response can have, the bytes go on unframed. */
  private framing = true;

  constructor(private readonly emit: (chunk: Buffer) => void) {}

  /** Where the next read goes. */
  nextBuffer(): Buffer {
    if (this.whole !== null) return this.whole.subarray(this.filled);
    if (this.scratch.length - this.end < MIN_READ_BYTES) this.renewScratch();
    return this.scratch.subarray(this.end);
  }

  /** `bytes` were read into the buffer nextBuffer() returned last. */
  onRead(bytes: number): void {
    if (this.whole !== null) {
      this.filled += bytes;
      if (this.filled === this.whole.length) {
        const response = this.whole;
        this.whole = null;
        this.emit(response);
      }
      return;
    }
    this.end += bytes;
    const scratch = this.scratch;
    let pos = this.start;
    while (this.framing && this.end - pos >= SIZE_BYTES) {
      const size = scratch.readInt32BE(pos);
      if (size < 0 || size > MAX_FRAMED_BYTES) this.framing = false;
      else if (this.end - pos - SIZE_BYTES >= size) pos += SIZE_BYTES + size;
      else break;
    }
    if (!this.framing) pos = this.end;
    if (pos > this.start) {
      this.emit(scratch.subarray(this.start, pos));
      this.start = pos;
    }
    if (this.framing && this.end - this.start >= SIZE_BYTES) {
      const length = SIZE_BYTES + scratch.readInt32BE(this.start);
      if (length > scratch.length - this.start) {
        this.whole = Buffer.allocUnsafe(length);
        this.filled = scratch.copy(this.whole, 0, this.start, this.end);
        this.start = this.end;
      }
    }
  }

  private renewScratch(): void {
    const next = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    this.end = this.scratch.copy(next, 0, this.start, this.end);
    this.start = 0;
    this.scratch = next;
  }
}

/** Sockets that hand kafkajs whole responses. */
const framedSockets = new WeakSet<net.Socket>();

interface KafkajsConnection {
  socket: net.Socket | undefined;
  chunks: Buffer[];
  bytesBuffered: number;
  processData(data: Buffer): void;
}

let installed = false;

/**
 * Lets a whole response through kafkajs's Connection.processData without a
 * copy. After each response kafkajs keeps the bytes after it as the first
 * chunk of the next, an empty buffer when there are none, so the next
 * response, arriving whole, would still be concatenated with it: on our
 * sockets an empty leftover is dropped first. Other connections are
 * untouched.
 */
export function installKafkajsWholeResponses(): Installation {
  if (installed) return { installed };
  const mismatch = kafkajsVersionMismatch('test/kafka/raw-fetch.test.ts');
  if (mismatch !== undefined) return { installed, reason: mismatch };
  const Connection = require('kafkajs/src/network/connection.js') as { prototype: KafkajsConnection };
  const processData = Connection.prototype.processData;
  Connection.prototype.processData = function (this: KafkajsConnection, data: Buffer) {
    if (this.bytesBuffered === 0 && this.socket !== undefined && framedSockets.has(this.socket)) this.chunks = [];
    processData.call(this, data);
  };
  installed = true;
  return { installed };
}

/**
 * kafkajs's socket factory for plaintext connections, reading whole
 * responses (ResponseFramer; with installKafkajsWholeResponses, kafkajs
 * then reads them in place). Only without SASL: kafkajs's legacy SASL
 * handshake hands raw, unframed bytes to its authenticator.
 */
export function responseSocketFactory(): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    if (ssl) throw new Error('responseSocketFactory is for plaintext connections');
    // Data arrives after connect() returns, so `socket` is set by then.
    const framer = new ResponseFramer((chunk) => socket.emit('data', chunk));
    const socket = net.connect({ host, port, onread: { buffer: () => framer.nextBuffer(), callback: (bytes) => (framer.onRead(bytes), true) } }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    framedSockets.add(socket);
    return socket;
  };
}
