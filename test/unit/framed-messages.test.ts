import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { framedBuffer, installFramedMessages, messagesBuffer } from '../../src/grpc/framed-messages.ts';

const require = createRequire(import.meta.url);
const { BaseServerInterceptingCall } = require('@grpc/grpc-js/build/src/server-interceptors.js') as {
  BaseServerInterceptingCall: { prototype: { serializeMessage(this: unknown, value: unknown): Buffer } };
};
/** A call whose serializer passes bytes through, as the record path's methods do (src/grpc/proto.ts). */
const call = { handler: { serialize: (value: Buffer) => value } };
const serialize = (value: unknown) => BaseServerInterceptingCall.prototype.serializeMessage.call(call, value);

describe('framed messages: grpc-js sends large replies without copying them', () => {
  it('frames a framedBuffer() message in the room in front of it, and any other message as grpc-js does', () => {
    expect(installFramedMessages()).toEqual({ installed: true });
    const message = framedBuffer(3);
    message.set([1, 2, 3]);
    const sent = serialize(message);
    expect(sent).toEqual(Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]));
    expect(sent.buffer).toBe(message.buffer);
    expect(sent.byteOffset).toBe(message.byteOffset - 5);

    // Complete messages (prefixes written by the encoder) go as they are.
    const messages = messagesBuffer(7);
    messages.set([0, 0, 0, 0, 2, 4, 5]);
    expect(serialize(messages)).toBe(messages);

    const other = Buffer.from([9, 8]);
    const copied = serialize(other);
    expect(copied).toEqual(Buffer.from([0, 0, 0, 0, 2, 9, 8]));
    other[0] = 7;
    expect(copied[5]).toBe(9);
  });
});
