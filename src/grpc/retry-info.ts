import protobuf from 'protobufjs';

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * A `google.rpc.Status` carrying one `google.rpc.RetryInfo`, encoded for the
 * `grpc-status-details-bin` trailer (the richer-error model grpc clients in
 * Go, Java and Python decode). Written by hand with protobufjs's Writer: three
 * tiny messages do not justify shipping the googleapis protos.
 */
export function statusWithRetryInfo(code: number, message: string, retryAfterMs: number): Buffer {
  const seconds = Math.floor(retryAfterMs / 1000);
  const nanos = (retryAfterMs % 1000) * 1_000_000;
  const duration = protobuf.Writer.create().uint32(8).int64(seconds).uint32(16).int32(nanos).finish(); // Duration{seconds=1, nanos=2}
  const retryInfo = protobuf.Writer.create().uint32(10).bytes(duration).finish(); // RetryInfo{retry_delay=1}
  const any = protobuf.Writer.create().uint32(10).string(RETRY_INFO_TYPE).uint32(18).bytes(retryInfo).finish(); // Any{type_url=1, value=2}
  const status = protobuf.Writer.create().uint32(8).int32(code).uint32(18).string(message).uint32(26).bytes(any).finish(); // Status{code=1, message=2, details=3}
  return Buffer.from(status);
}

/** Reads the retry delay back (tests, and the TS client). Undefined when absent or malformed. */
export function retryDelayMs(details: Uint8Array): number | undefined {
  try {
    const status = protobuf.Reader.create(details);
    while (status.pos < status.len) {
      const tag = status.uint32();
      if (tag >>> 3 !== 3) {
        status.skipType(tag & 7);
        continue;
      }
      const any = protobuf.Reader.create(status.bytes());
      let typeUrl = '';
      let value: Uint8Array | undefined;
      while (any.pos < any.len) {
        const t = any.uint32();
        if (t >>> 3 === 1) typeUrl = any.string();
        else if (t >>> 3 === 2) value = any.bytes();
        else any.skipType(t & 7);
      }
      if (typeUrl !== RETRY_INFO_TYPE || value === undefined) continue;
      const info = protobuf.Reader.create(value);
      info.uint32();
      const duration = protobuf.Reader.create(info.bytes());
      let seconds = 0;
      let nanos = 0;
      while (duration.pos < duration.len) {
        const t = duration.uint32();
        if (t >>> 3 === 1) seconds = Number(duration.int64());
        else if (t >>> 3 === 2) nanos = duration.int32();
        else duration.skipType(t & 7);
      }
      return seconds * 1000 + Math.round(nanos / 1_000_000);
    }
  } catch {
    return undefined;
  }
  return undefined;
}
