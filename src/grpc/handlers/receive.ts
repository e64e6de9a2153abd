import { status, type ServerWritableStream } from '@grpc/grpc-js';
import { InvalidArgumentError, RecordBlock, SluiceError, UnavailableError, type StoredRecord } from '../../contracts/index.ts';
import type { DeliveredBatch } from '../../gateway/index.ts';
import { batchEntrySize, BlockReplies, encodeSkippedBatchReply, encodeSkippedReply, MeasuredReplies } from '../encoding.ts';
import { toContentFormat, toReceiveCommand, type ContentFormat } from '../mappers.ts';
import type { ReceiveBatchRequest, ReceiveRequest } from '../messages.ts';
import { BytesInFlight, drained } from '../stream-writer.ts';
import { framedMessagesInstalled, MESSAGE_PREFIX, replyPool } from '../framed-messages.ts';
import { linkSignals } from '../../gateway/index.ts';
import type { HandlerContext } from './context.ts';
import { countCall, reportError } from './report.ts';

/** ReceiveBatch limits: defaults for a request's 0, and caps on what a request may ask. */
export interface BatchLimits {
  defaultRecords: number;
  maxRecords: number;
  defaultBytes: number;
  /** Below the server's max message size (the batch's own framing fits under it). */
  maxBytes: number;
}

/**
 * The default records per message is the cap: grpc-js buffers 16 messages
 * of a stream before write() reports it full and emits 'drain' only once all
 * have gone, so with 1,000 records per message the handler stopped every
 * 16,000 records and the stream stood empty while it encoded the next 16
 * (four partitions of 100 B through ReceiveBatch, 1.5 M records, same run:
 * 0.56x a direct kafkajs consumer with 1,000, 0.76-0.93x with 10,000). The
 * byte bound (1 MiB) still holds each message.
 */
export function batchLimits(maxMessageBytes: number): BatchLimits {
  const maxBytes = Math.max(1024, maxMessageBytes - 16 * 1024);
  return { defaultRecords: 10_000, maxRecords: 10_000, defaultBytes: Math.min(1024 * 1024, maxBytes), maxBytes };
}

/**
 * A record whose reply grpc-js would refuse to send (larger than
 * GRPC_MAX_MESSAGE_BYTES) ends the stream with FAILED_PRECONDITION naming its
 * offset, size and the ways out (grpc-js's own RESOURCE_EXHAUSTED named nothing).
 */
function checkReplySize(record: StoredRecord, size: number, maxMessageBytes: number | undefined): void {
  if (maxMessageBytes === undefined || size <= maxMessageBytes) return;
  throw new SluiceError(
    'FAILED_PRECONDITION',
    `the record at offset ${record.offset} of partition ${record.partition} is about ${size} bytes, more than GRPC_MAX_MESSAGE_BYTES ` +
      `(${maxMessageBytes}): raise GRPC_MAX_MESSAGE_BYTES (and the client's max receive message size), or ack offset ${record.offset} to skip it`,
  );
}

/** Writes one gateway batch to the stream; resolves with how many times it waited for 'drain'. */
type Send = (call: ServerWritableStream<unknown, Buffer>, batch: DeliveredBatch, stop: AbortSignal) => Promise<number>;

/**
 * Bytes of per-record Receive messages handed to grpc-js in one write, and
 * how many may wait unsent beyond one write: a stalled Receive holds at most
 * twice this in grpc-js, besides the HTTP/2 window.
 */
const RECEIVE_WRITE_BYTES = 32 * 1024;

/**
 * Receive: one message per record. The messages of a batch from the core go
 * to grpc-js back to back, up to 32 KiB per write (one HTTP/2 write for many
 * messages; the client still reads one message per record: the same bytes on
 * the wire). Where grpc-js's framing is not wrapped (src/grpc/framed-messages.ts),
 * each message is written on its own. Writes go on without an await while
 * grpc-js accepts them (write() true); when it reports its buffer full, the
 * loop waits for 'drain' (or cancellation), and the next batch is pulled only
 * after the last one went out, so a client that stops reading stops this loop
 * and, through the store, the partition.
 */
export function receiveHandler(context: HandlerContext) {
  return streamHandler<ReceiveRequest>(context, 'Receive', (request) => {
    const format = toContentFormat(request.format, request.cloudeventsBinaryMode === true);
    const together = framedMessagesInstalled();
    const send = groupedSend(context, format, {
      inFlight: new BytesInFlight(RECEIVE_WRITE_BYTES),
      maxRecords: together ? Infinity : 1,
      // grpc-js refuses a write past its max send message size, whatever it holds.
      maxBytes: Math.min(RECEIVE_WRITE_BYTES, context.maxMessageBytes ?? Infinity),
      entrySize: (size) => MESSAGE_PREFIX + size,
      encode: (replies, from, to) => ({ message: together ? replies.encodeMessages(from, to) : replies.encodeOne(from) }),
    });
    return { request, send, marker: encodeSkippedReply };
  });
}

/**
 * ReceiveBatch: as Receive, with the records the core had available packed
 * into messages of at most max_records / max_bytes; what is left at the end
 * of a core batch goes out at once (the gateway never waits to fill a batch).
 * Large messages are written into pooled buffers, reused once grpc-js has written them.
 */
export function receiveBatchHandler(context: HandlerContext, limits: BatchLimits) {
  return streamHandler<ReceiveBatchRequest>(context, 'ReceiveBatch', (batchRequest) => {
    if (!batchRequest.request) throw new InvalidArgumentError('request', 'is required');
    const request = batchRequest.request;
    try {
      toReceiveCommand(request);
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`request.${err.field}`, err.reason);
      throw err;
    }
    const format = toContentFormat(request.format, request.cloudeventsBinaryMode === true);
    const send = groupedSend(context, format, {
      maxRecords: Math.min(batchRequest.maxRecords || limits.defaultRecords, limits.maxRecords),
      maxBytes: Math.min(batchRequest.maxBytes || limits.defaultBytes, limits.maxBytes),
      entrySize: batchEntrySize,
      encode: (replies, from, to) => {
        let release: (() => void) | undefined;
        const message = replies.encodeBatch(from, to, (size) => {
          const lease = replyPool.take(size);
          release = lease.release;
          return lease.buf;
        });
        return { message, release };
      },
    });
    return { request, send, marker: encodeSkippedBatchReply };
  });
}

interface Grouping {
  /** The stream's bytes written and not yet reported written, which make the loop wait past their limit (beside grpc-js's own 16-message mark). */
  inFlight?: BytesInFlight;
  /** Records per write at most. */
  maxRecords: number;
  /** Bytes per write at most (a record larger on its own still goes, alone). */
  maxBytes: number;
  /** Bytes a reply of `size` takes in a write. */
  entrySize: (size: number) => number;
  /** The write of replies [from, to), and what to call once grpc-js has written it. */
  encode: (replies: EncodableReplies, from: number, to: number) => { message: Buffer; release?: (() => void) | undefined };
}

/**
 * Writes a batch in groups of replies, each measured once: a group ends at
 * `maxRecords` or `maxBytes`, and what is left at the end of the batch goes
 * out at once. The records before one that cannot be sent (format, size) go
 * out first, then the stream ends with that record's error.
 */
function groupedSend(context: HandlerContext, format: ContentFormat, grouping: Grouping): Send {
  return async (call, batch, stop) => {
    let waits = 0;
    const { replies, measure, length } = measured(batch, format, context.maxMessageBytes);
    const { inFlight } = grouping;
    const flush = async (from: number, to: number) => {
      if (to <= from) return;
      const { message, release } = grouping.encode(replies, from, to);
      if (!call.write(message, inFlight === undefined ? release : inFlight.add(message.length, release))) {
        waits++;
        await drained(call, stop);
      } else if (inFlight !== undefined && (await inFlight.within(stop))) {
        waits++;
      }
    };
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < length; i++) {
      let size: number;
      try {
        size = measure(i);
      } catch (err) {
        await flush(from, i);
        throw err;
      }
      const entry = grouping.entrySize(size);
      if (i > from && (i - from >= grouping.maxRecords || bytes + entry > grouping.maxBytes)) {
        await flush(from, i);
        if (stop.aborted) return waits;
        from = i;
        bytes = 0;
      }
      bytes += entry;
    }
    await flush(from, length);
    return waits;
  };
}

type EncodableReplies = Pick<BlockReplies, 'encodeOne' | 'encodeBatch' | 'encodeMessages'>;

/**
 * A batch's replies, measured one by one (measure(i) returns the size of
 * reply i, and throws for a record the format cannot carry or that is larger
 * than a message may be): from a block's columns where the format sends a
 * plain record as it is (or a CloudEvent as LiiklusEvent), else from the records as objects.
 */
function measured(
  { records, replayThrough }: DeliveredBatch,
  format: ContentFormat,
  maxMessageBytes: number | undefined,
): { replies: EncodableReplies; measure: (i: number) => number; length: number } {
  // A block's events, as LiiklusEvent or not at all: the other formats rewrite an event (a JSON
  // document, or its headers rebuilt), which takes the records as objects.
  if (records instanceof RecordBlock && (format === 'event' || records.eventRows === undefined)) {
    const replies = new BlockReplies(records, replayThrough, format === 'event' ? 'event' : 'binary');
    const measure = (i: number) => {
      const size = replies.size(i);
      if (size > (maxMessageBytes ?? Infinity)) checkReplySize(records.record(i), size, maxMessageBytes);
      return size;
    };
    return { replies, measure, length: records.length };
  }
  const list = records instanceof RecordBlock ? records.toRecords() : records;
  const replies = new MeasuredReplies(format);
  const measure = (i: number) => {
    const record = list[i]!;
    const size = replies.add(record, record.offset <= replayThrough);
    checkReplySize(record, size, maxMessageBytes);
    return size;
  };
  return { replies, measure, length: list.length };
}

/** The stream's lifecycle, shared by Receive and ReceiveBatch: statuses, cancellation, shutdown, metrics. */
function streamHandler<Req>(
  context: HandlerContext,
  rpc: string,
  prepare: (request: Req) => { request: ReceiveRequest; send: Send; marker: (skippedThrough: bigint) => Buffer },
) {
  return async (call: ServerWritableStream<Req, Buffer>): Promise<void> => {
    const cancelled = new AbortController();
    call.on('cancelled', () => cancelled.abort());
    // Ended by the core (replaced by a newer Receive, session closed): also ends a wait for 'drain'.
    const ended = new AbortController();
    const link = linkSignals([cancelled.signal, context.shutdown, ended.signal]);
    const stop = link.signal;
    const out = call as unknown as ServerWritableStream<unknown, Buffer>;
    try {
      const { request, send, marker } = prepare(call.request);
      const batches = context.gateway.receive(toReceiveCommand(request), stop, () => ended.abort());
      const { backpressureWaits } = context.metrics;
      for await (const batch of batches) {
        const waits = await send(out, batch, stop);
        if (waits > 0) backpressureWaits.inc(waits);
        if (stop.aborted) break;
        // Filtered subscriptions: the records after the last one sent were filtered out; the client may ack this offset.
        if (batch.skippedThrough !== undefined && !out.write(marker(batch.skippedThrough))) {
          backpressureWaits.inc();
          await drained(out, stop);
          if (stop.aborted) break;
        }
      }
      if (cancelled.signal.aborted) {
        countCall(context, rpc, status.CANCELLED);
        return;
      }
      if (context.shutdown.aborted) throw new UnavailableError('gateway is shutting down; receive again');
      countCall(context, rpc, status.OK);
      call.end();
    } catch (err) {
      if (cancelled.signal.aborted) countCall(context, rpc, status.CANCELLED);
      else call.emit('error', reportError(context, rpc, err));
    } finally {
      link.dispose();
    }
  };
}
