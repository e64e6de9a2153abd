import type { ServerWritableStream } from '@grpc/grpc-js';
import { UnavailableError } from '../../contracts/index.ts';
import { toSubscribeCommand } from '../mappers.ts';
import type { SubscribeReply, SubscribeRequest } from '../messages.ts';
import { principalOf } from '../guard.ts';
import type { HandlerContext } from './context.ts';
import { countCall, reportError } from './report.ts';
import { status } from '@grpc/grpc-js';

/**
 * One Subscribe stream = one group member. Assignment replies are few (at most
 * one per partition per rebalance), so they are written without waiting for
 * 'drain'; the record path (Receive) is where backpressure matters.
 */
export function subscribeHandler(context: HandlerContext) {
  return async (call: ServerWritableStream<SubscribeRequest, SubscribeReply>): Promise<void> => {
    const fail = (err: unknown) => call.emit('error', reportError(context, 'Subscribe', err));
    let handle;
    try {
      handle = await context.gateway.subscribe({ ...toSubscribeCommand(call.request), owner: principalOf(call)?.id });
    } catch (err) {
      fail(err);
      return;
    }
    const session = handle;
    const onShutdown = () => fail(new UnavailableError('gateway is shutting down; subscribe again'));
    const finish = () => {
      context.shutdown.removeEventListener('abort', onShutdown);
      subscription.unsubscribe();
      session.close().catch((err: unknown) => context.logger.warn({ err, sessionId: session.sessionId }, 'closing subscription failed'));
    };
    const subscription = session.assignments.subscribe({
      next: (assignment) => call.write({ assignment }),
      error: (err: unknown) => {
        fail(err);
        finish();
      },
      complete: () => {
        countCall(context, 'Subscribe', status.OK);
        call.end();
        finish();
      },
    });
    context.shutdown.addEventListener('abort', onShutdown, { once: true });
    call.on('cancelled', () => {
      countCall(context, 'Subscribe', status.CANCELLED);
      finish();
    });
    if (call.cancelled) finish();
  };
}
