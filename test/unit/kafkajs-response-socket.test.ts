import { once } from 'node:events';
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResponseFramer, responseSocketFactory } from '../../plugins/kafka-records/drivers/kafkajs/response-socket.ts';

/**
 * The kafkajs socket reader: whatever sizes the socket's reads come in, the
 * chunks handed to kafkajs are the bytes the broker sent, each chunk holds
 * whole responses only (so kafkajs never concatenates), and bytes handed on
 * are never written over by later reads (kafkajs keeps views of them).
 */

/** A response as the broker frames it: a 4-byte size, then that many bytes. */
function response(size: number, fill: number): Buffer {
  const bytes = Buffer.alloc(4 + size, fill & 0xff);
  bytes.writeInt32BE(size, 0);
  return bytes;
}

/** Feeds `stream` to a framer in reads of the given sizes (each cut to the room the framer offers). */
function feed(stream: Buffer, reads: number[]): { chunks: Buffer[]; copies: Buffer[] } {
  const chunks: Buffer[] = [];
  const copies: Buffer[] = [];
  const framer = new ResponseFramer((chunk) => {
    chunks.push(chunk);
    copies.push(Buffer.from(chunk));
  });
  let at = 0;
  for (let i = 0; at < stream.length; i++) {
    const room = framer.nextBuffer();
    if (room.length === 0) throw new Error('the framer offered no room to read into');
    const n = Math.min(room.length, reads[i % reads.length]!, stream.length - at);
    stream.copy(room, 0, at, at + n);
    at += n;
    framer.onRead(n);
  }
  return { chunks, copies };
}

/** The sizes of the whole responses in `chunk`; fails if it ends inside one. */
function responsesIn(chunk: Buffer): number[] {
  const sizes: number[] = [];
  for (let pos = 0; pos < chunk.length; ) {
    expect(chunk.length - pos).toBeGreaterThanOrEqual(4);
    const size = chunk.readInt32BE(pos);
    expect(chunk.length - pos - 4).toBeGreaterThanOrEqual(size);
    sizes.push(size);
    pos += 4 + size;
  }
  return sizes;
}

const sizes = fc.array(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 300 }), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 200_000 }), weight: 1 }), {
  minLength: 1,
  maxLength: 30,
});
const reads = fc.array(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 16 }), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 400_000 }), weight: 3 }), { minLength: 1, maxLength: 20 });

describe('ResponseFramer', () => {
  it('hands on every byte, in whole responses only, and never writes over what it handed on', () => {
    fc.assert(
      fc.property(sizes, reads, (list, readSizes) => {
        const stream = Buffer.concat(list.map((size, i) => response(size, i + 1)));
        const { chunks, copies } = feed(stream, readSizes);
        expect(Buffer.concat(chunks).equals(stream)).toBe(true);
        expect(chunks.flatMap(responsesIn)).toEqual(list);
        chunks.forEach((chunk, i) => expect(chunk.equals(copies[i]!)).toBe(true));
      }),
      { numRuns: 200 },
    );
  });

  it('reads a response larger than its scratch buffer into one buffer of that response alone', () => {
    const stream = Buffer.concat([response(10, 1), response(1_000_000, 2), response(20, 3)]);
    const { chunks } = feed(stream, [65_536]);
    const large = chunks.find((chunk) => chunk.length === 1_000_004);
    expect(large?.readInt32BE(0)).toBe(1_000_000);
    expect(large?.byteOffset).toBe(0);
    expect(large?.buffer.byteLength).toBe(1_000_004);
  });

  it('hands bytes on as they come after a size no response can have', () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]);
    const stream = Buffer.concat([response(5, 1), garbage, response(100_000, 2)]);
    const { chunks } = feed(stream, [3, 70_000]);
    expect(Buffer.concat(chunks).equals(stream)).toBe(true);
    expect(chunks[0]!.subarray(0, 9)).toEqual(response(5, 1));
    // Unframed, each read goes on as it comes (a 3-byte read is not held back).
    expect(chunks.some((chunk) => chunk.length === 3)).toBe(true);
  });
});

describe('responseSocketFactory', () => {
  it('emits whole responses as data events on a real socket', async () => {
    const sent = [response(3, 1), response(200_000, 2), response(0, 3), response(2_000_000, 4)];
    const server = net.createServer((socket) => {
      // Written in pieces that cut the responses anywhere.
      const stream = Buffer.concat(sent);
      for (let at = 0; at < stream.length; at += 70_001) socket.write(stream.subarray(at, at + 70_001));
      socket.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as net.AddressInfo;
      const chunks: Buffer[] = [];
      const socket = responseSocketFactory()({ host: '127.0.0.1', port, ssl: false as never, onConnect: () => {} });
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(socket, 'end');
      expect(Buffer.concat(chunks).equals(Buffer.concat(sent))).toBe(true);
      expect(chunks.flatMap(responsesIn)).toEqual([3, 200_000, 0, 2_000_000]);
      socket.destroy();
    } finally {
      server.close();
    }
  });
});
