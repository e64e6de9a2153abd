import * as grpc from '@grpc/grpc-js';
import { TestClient, type ReceiveReplyMessage } from '../../support/client.ts';

/**
 * Raw gRPC calls with deadlines, over the client generated from proto/: the
 * fault suite must never wait forever on a gateway that was just killed.
 */

type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, reply: unknown) => void) => void;

export function unary<T>(client: TestClient, method: string, request: object, deadlineMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const call = client.raw[method] as unknown as UnaryMethod;
    call.call(client.raw, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, reply) => (err ? reject(err) : resolve(reply as T)));
  });
}

export type ServerStream<T> = grpc.ClientReadableStream<T>;

export function subscribe(client: TestClient, request: object): ServerStream<{ assignment: { sessionId: string; partition: number } }> {
  return (client.raw.Subscribe as unknown as (r: object) => ServerStream<{ assignment: { sessionId: string; partition: number } }>).call(client.raw, request);
}

export function receive(client: TestClient, request: object): ServerStream<ReceiveReplyMessage> {
  return (client.raw.Receive as unknown as (r: object) => ServerStream<ReceiveReplyMessage>).call(client.raw, request);
}

/** Channel options that notice a dead peer within seconds (a cut network never sends a FIN). */
export const KEEPALIVE: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 2_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
};

export function connect(address: string): TestClient {
  return new TestClient(address, grpc.credentials.createInsecure(), KEEPALIVE);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
