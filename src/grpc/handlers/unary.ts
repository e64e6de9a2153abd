import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { encodePublishBatchReply, encodePublishReply } from '../encoding.ts';
import { toAckCommand, toNackCommand, toNackReply, toOffsetsQuery, toOffsetsReply, toPublishCommand, toPublishCommands } from '../mappers.ts';
import type { AckRequest, GetEndOffsetsRequest, GetOffsetsRequest, NackReply, NackRequest, OffsetsReply, PublishBatchRequest, PublishRequest } from '../messages.ts';
import type { HandlerContext } from './context.ts';
import { countCall, reportError } from './report.ts';
import { status } from '@grpc/grpc-js';

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** Adapts a promise-returning handler to grpc-js, mapping failures to statuses in one place. */
function unary<Req, Res>(context: HandlerContext, rpc: string, handle: (request: Req) => Promise<Res>): Unary<Req, Res> {
  return (call, callback) => {
    const stopTimer = context.metrics.callSeconds.startTimer({ method: rpc });
    let result: Promise<Res>;
    try {
      result = handle(call.request);
    } catch (err) {
      callback(reportError(context, rpc, err));
      return;
    }
    result.then(
      (reply) => {
        stopTimer();
        countCall(context, rpc, status.OK);
        callback(null, reply);
      },
      (err: unknown) => {
        stopTimer();
        callback(reportError(context, rpc, err));
      },
    );
  };
}

export function unaryHandlers(context: HandlerContext) {
  const { gateway } = context;
  return {
    // Replies pre-encoded (src/grpc/encoding.ts): no reply object, no offset string.
    Publish: unary<PublishRequest, Buffer>(context, 'Publish', async (request) => encodePublishReply(await gateway.publish(toPublishCommand(request)))),
    PublishBatch: unary<PublishBatchRequest, Buffer>(context, 'PublishBatch', async (request) =>
      encodePublishBatchReply(await gateway.publishBatch(toPublishCommands(request.records))),
    ),
    Ack: unary<AckRequest, object>(context, 'Ack', async (request) => {
      await gateway.ack(toAckCommand(request));
      return {};
    }),
    // Sluice extension (docs/retry.md): answers once the retry or dead-letter copy is stored.
    Nack: unary<NackRequest, NackReply>(context, 'Nack', async (request) => toNackReply(await gateway.nack(toNackCommand(request)))),
    GetOffsets: unary<GetOffsetsRequest, OffsetsReply>(context, 'GetOffsets', async (request) =>
      toOffsetsReply(await gateway.getOffsets(toOffsetsQuery(request))),
    ),
    GetEndOffsets: unary<GetEndOffsetsRequest, OffsetsReply>(context, 'GetEndOffsets', async (request) =>
      toOffsetsReply(await gateway.getEndOffsets(request.topic)),
    ),
  };
}
