"""An at-least-once consumer, following the README's algorithm:

subscribe with a group; receive every assignment concurrently (a thread each);
process a record, then count it; ack the last processed offset every N records
or T seconds and when a Receive stream ends; subscribe again with backoff on
UNAVAILABLE. Stops after SLUICE_MAX records or on SIGINT / SIGTERM, acking what
it processed before leaving the group.

    examples/python/run.sh consumer
    SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_GROUP=example-billing SLUICE_MAX=10 examples/python/run.sh consumer
"""
import os
import random
import signal
import sys
import threading
import time

import grpc

import LiiklusService_pb2 as liiklus
import LiiklusService_pb2_grpc as liiklus_grpc

address = os.environ.get("SLUICE_ADDRESS", "localhost:6565")
topic = os.environ.get("SLUICE_TOPIC", "example-orders")
group = os.environ.get("SLUICE_GROUP", "example-billing")
max_records = int(os.environ.get("SLUICE_MAX", "0")) or None
ack_every = int(os.environ.get("SLUICE_ACK_EVERY", "100"))
ack_seconds = float(os.environ.get("SLUICE_ACK_MS", "1000")) / 1000

batch_size = int(os.environ.get("SLUICE_BATCH", "500"))  # records per ReceiveBatch reply; 0: per-record Receive

stopping = threading.Event()
batched = {"supported": batch_size > 0}
lock = threading.Lock()
handled = 0
claimed = 0


def log(line):
    with lock:
        print(line, flush=True)


def process(partition, record):
    """Stands for real work: prints the record. Never fails on content it cannot read."""
    global handled
    headers = ",".join(f"{k}={v.decode(errors='replace')}" for k, v in sorted(record.headers.items()))
    value = record.value.decode(errors="replace")
    log(f"record partition={partition} offset={record.offset} key={record.key.decode(errors='replace')} "
        f"replay={str(record.replay).lower()} headers={headers} value={value}")
    with lock:
        handled += 1
        if max_records is not None and handled >= max_records:
            stopping.set()


def claim():
    """Whether one more record may be processed under SLUICE_MAX (receivers run concurrently)."""
    global claimed
    with lock:
        claimed += 1
        return max_records is None or claimed <= max_records


class PartitionReceiver(threading.Thread):
    """Receives one assigned partition and acks what was processed."""

    def __init__(self, client, assignment):
        super().__init__(daemon=True)
        self.client = client
        self.assignment = assignment
        self.last = None        # offset of the last processed record
        self.unacked = 0
        self.first_unacked_at = 0.0
        self.call = None

    def records(self):
        """The partition's records: ReceiveBatch (a Sluice addition) where the gateway has it, else Receive."""
        request = liiklus.ReceiveRequest(assignment=self.assignment)
        if batched["supported"]:
            self.call = self.client.ReceiveBatch(liiklus.ReceiveBatchRequest(request=request, max_records=batch_size))
            try:
                for batch in self.call:
                    yield from batch.replies
                return
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise
                batched["supported"] = False  # answered before any record: nothing was delivered
                log("ReceiveBatch is UNIMPLEMENTED on this gateway: using Receive")
        self.call = self.client.Receive(request)
        yield from self.call

    def run(self):
        partition = self.assignment.partition
        ticker = threading.Thread(target=self.tick, daemon=True)
        ticker.start()
        try:
            for reply in self.records():
                if stopping.is_set() or not claim():
                    break  # not processed: the group gets it again
                process(partition, reply.record)
                self.note(reply.record.offset)
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.CANCELLED:
                log(f"receive partition={partition} ended: {err.code().name} {err.details()}")
        finally:
            self.flush("end")  # revoked, subscription over, or stopping: ack what was processed
            if self.call is not None:
                self.call.cancel()

    def note(self, offset):
        with lock:
            self.last = offset
            if self.unacked == 0:
                self.first_unacked_at = time.monotonic()
            self.unacked += 1
            due = self.unacked >= ack_every
        if due:
            self.flush("records")

    def tick(self):
        while self.is_alive() and not stopping.wait(0.1):
            with lock:
                due = self.unacked > 0 and time.monotonic() - self.first_unacked_at >= ack_seconds
            if due:
                self.flush("time")

    def flush(self, reason):
        with lock:
            if self.unacked == 0:
                return
            offset, self.unacked = self.last, 0
        # The stateless Ack: the processed record's own offset (not offset + 1).
        self.client.Ack(liiklus.AckRequest(topic=topic, group=group, partition=self.assignment.partition, offset=offset), timeout=10)
        log(f"acked partition={self.assignment.partition} offset={offset} ({reason})")


def consume(client):
    """One subscription: a receiver per assignment until the stream ends or we stop."""
    subscription = client.Subscribe(liiklus.SubscribeRequest(topic=topic, group=group))
    receivers = []
    stopper = threading.Thread(target=lambda: (stopping.wait(), finish(subscription, receivers)), daemon=True)
    stopper.start()
    try:
        for reply in subscription:
            log(f"assigned partition={reply.assignment.partition}")
            receiver = PartitionReceiver(client, reply.assignment)
            receivers.append(receiver)
            receiver.start()
    finally:
        for receiver in receivers:
            receiver.join()


def finish(subscription, receivers):
    """Stop: receivers ack what they processed, and only then the subscription leaves the group."""
    for receiver in receivers:
        if receiver.call is not None:
            receiver.call.cancel()
        receiver.join()
    subscription.cancel()


def main():
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    attempt = 0
    with grpc.insecure_channel(address) as channel:
        client = liiklus_grpc.LiiklusServiceStub(channel)
        while not stopping.is_set():
            try:
                consume(client)
                attempt = 0
            except grpc.RpcError as err:
                if err.code() == grpc.StatusCode.CANCELLED and stopping.is_set():
                    break
                if err.code() != grpc.StatusCode.UNAVAILABLE:
                    log(f"subscription failed: {err.code().name} {err.details()}")
                    sys.exit(1)
                attempt += 1
                delay = min(10.0, 0.1 * 2 ** attempt) * (0.5 + random.random() / 2)
                log(f"subscription lost ({err.details()}); subscribing again in {delay:.1f} s")
                stopping.wait(delay)
    log(f"handled {handled} records")


if __name__ == "__main__":
    main()
