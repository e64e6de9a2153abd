import type { ServerWritableStream } from '@grpc/grpc-js';
import { Subscription as RxSubscription } from 'rxjs';
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
 *
 * The rxjs callbacks below must never throw: rxjs rethrows from a timer (an
 * uncaught exception). The assignments may error synchronously inside
 * subscribe() (shutdown began meanwhile), so nothing here needs the rxjs
 * subscription to exist by then (issue 9, defect 2).
 */
export function subscribeHandler(context: HandlerContext) {
  return async (call: ServerWritableStream<SubscribeRequest, SubscribeReply>): Promise<void> => {
    let answered = false;
    const fail = (err: unknown) => {
      if (answered) return;
      answered = true;
      call.emit('error', reportError(context, 'Subscribe', err));
    };
    let handle;
    try {
      handle = await context.gateway.subscribe({ ...toSubscribeCommand(call.request), owner: principalOf(call)?.id });
    } catch (err) {
      fail(err);
      return;
    }
    const session = handle;
    // Created first, so finish() can run from inside subscribe(): the inner
    // subscription added to it after it was closed is unsubscribed at once.
    const subscription = new RxSubscription();
    let finished = false;
    const onShutdown = () => {
      fail(new UnavailableError('gateway is shutting down; subscribe again'));
      finish();
    };
    const finish = () => {
      context.shutdown.removeEventListener('abort', onShutdown);
      subscription.unsubscribe();
      if (finished) return;
      finished = true;
      session.close().catch((err: unknown) => context.logger.warn({ err, sessionId: session.sessionId }, 'closing subscription failed'));
    };
    const inner = session.assignments.subscribe({
      next: (assignment) => {
        if (!answered) call.write({ assignment });
      },
      error: (err: unknown) => {
        fail(err);
        finish();
      },
      complete: () => {
        if (!answered) {
          answered = true;
          countCall(context, 'Subscribe', status.OK);
          call.end();
        }
        finish();
      },
    });
    subscription.add(inner);
    if (finished) return; // ended during subscribe()
    context.shutdown.addEventListener('abort', onShutdown, { once: true });
    // grpc-js emits 'cancelled' after any status it sends: count a cancel only when nothing was sent.
    const onCancelled = () => {
      if (!answered) {
        answered = true;
        countCall(context, 'Subscribe', status.CANCELLED);
      }
      finish();
    };
    call.on('cancelled', onCancelled);
    if (call.cancelled) onCancelled();
    else if (context.shutdown.aborted) onShutdown();
  };
}
