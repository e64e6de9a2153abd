/**
 * Kafka's zigzag varints and varlongs, as kafkajs's Encoder writes them
 * (32-bit arithmetic for varints, as kafkajs's, so any int32 encodes alike).
 */

/** Below this a zigzag varlong is an exact double. */
const EXACT_VARLONG = 2 ** 52;

/** kafkajs's zigzag varint: 32-bit, so sizes and offset deltas encode as kafkajs encodes them. */
export function sizeOfVarInt(value: number): number {
  let zigzag = (value << 1) ^ (value >> 31);
  let bytes = 1;
  while ((zigzag & 0xffffff80) !== 0) {
    bytes++;
    zigzag >>>= 7;
  }
  return bytes;
}

export function writeVarInt(buf: Buffer, pos: number, value: number): number {
  let zigzag = (value << 1) ^ (value >> 31);
  while ((zigzag & 0xffffff80) !== 0) {
    buf[pos++] = (zigzag & 0x7f) | 0x80;
    zigzag >>>= 7;
  }
  buf[pos++] = zigzag;
  return pos;
}

/** A zigzag varlong of an integer: as doubles while exact, else in 64-bit arithmetic as kafkajs does. */
export function sizeOfVarLong(value: number): number {
  if (value < EXACT_VARLONG && value > -EXACT_VARLONG) {
    let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
    let bytes = 1;
    while (zigzag >= 0x80) {
      bytes++;
      zigzag = Math.floor(zigzag / 0x80);
    }
    return bytes;
  }
  let zigzag = bigZigzag(value);
  let bytes = 1;
  while (zigzag >= 0x80n) {
    bytes++;
    zigzag >>= 7n;
  }
  return bytes;
}

export function writeVarLong(buf: Buffer, pos: number, value: number): number {
  if (value === 0) {
    buf[pos] = 0;
    return pos + 1;
  }
  if (value < EXACT_VARLONG && value > -EXACT_VARLONG) {
    let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
    while (zigzag >= 0x80) {
      buf[pos++] = (zigzag % 0x80) | 0x80;
      zigzag = Math.floor(zigzag / 0x80);
    }
    buf[pos++] = zigzag;
    return pos;
  }
  let zigzag = bigZigzag(value);
  while (zigzag >= 0x80n) {
    buf[pos++] = Number(zigzag & 0x7fn) | 0x80;
    zigzag >>= 7n;
  }
  buf[pos++] = Number(zigzag);
  return pos;
}

const bigZigzag = (value: number): bigint => {
  const big = BigInt.asIntN(64, BigInt(value));
  return BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
};
