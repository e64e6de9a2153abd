import type { ServerWritableStream } from '@grpc/grpc-js';
import { UnavailableError } from '../../contracts/index.ts';
import { linkSignals } from '../../gateway/index.ts';
import { toContentFormat, toReceiveCommand, toReceiveReply } from '../mappers.ts';
import type { ReceiveReply, ReceiveRequest } from '../messages.ts';
import { writeWithBackpressure } from '../stream-writer.ts';
import type { HandlerContext } from './context.ts';
import { countCall, reportError } from './report.ts';
import { status } from '@grpc/grpc-js';

/**
 * Streams one partition. Each record is pulled from the core only after the
 * previous one was accepted by grpc-js, so a client that stops reading stops
 * this loop (and, through the store, the partition) without slowing others.
 */
export function receiveHandler(context: HandlerContext) {
  return async (call: ServerWritableStream<ReceiveRequest, ReceiveReply>): Promise<void> => {
    const cancelled = new AbortController();
    call.on('cancelled', () => cancelled.abort());
    // Ended by the core (replaced by a newer Receive, session closed): also ends a wait for 'drain'.
    const ended = new AbortController();
    const link = linkSignals([cancelled.signal, context.shutdown, ended.signal]);
    const stop = link.signal;
    try {
      const format = toContentFormat(call.request.format, call.request.cloudeventsBinaryMode === true);
      const records = context.gateway.receive(toReceiveCommand(call.request), stop, () => ended.abort());
      const { backpressureWaits } = context.metrics;
      for await (const record of records) {
        if (await writeWithBackpressure(call, toReceiveReply(record, format), stop)) backpressureWaits.inc();
        if (stop.aborted) break;
      }
      if (cancelled.signal.aborted) {
        countCall(context, 'Receive', status.CANCELLED);
        return;
      }
      if (context.shutdown.aborted) throw new UnavailableError('gateway is shutting down; receive again');
      countCall(context, 'Receive', status.OK);
      call.end();
    } catch (err) {
      if (cancelled.signal.aborted) countCall(context, 'Receive', status.CANCELLED);
      else call.emit('error', reportError(context, 'Receive', err));
    } finally {
      link.dispose();
    }
  };
}
