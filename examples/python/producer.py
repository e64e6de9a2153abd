"""Publishes orders to Sluice with a key and headers, one call at a time.

    examples/python/run.sh producer
    SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_COUNT=10 examples/python/run.sh producer
"""
import json
import os

import grpc

import LiiklusService_pb2 as liiklus
import LiiklusService_pb2_grpc as liiklus_grpc

address = os.environ.get("SLUICE_ADDRESS", "localhost:6565")
topic = os.environ.get("SLUICE_TOPIC", "example-orders")
count = int(os.environ.get("SLUICE_COUNT", "10"))
source = os.environ.get("SLUICE_SOURCE", "python")

batched = os.environ.get("SLUICE_BATCH", "500") != "0"


def order_request(seq):
    key = f"customer-{seq % 3}"
    order = {"id": f"{source}-{seq}", "customer": key, "amount": seq * 10}
    request = liiklus.PublishRequest(
        topic=topic,
        key=key.encode(),
        value=json.dumps(order).encode(),
        headers={"source": source.encode(), "seq": str(seq).encode()},
    )
    return order["id"], key, request


def publish_all(client, orders):
    """PublishBatch (a Sluice addition: one call, results in order) where the gateway has it, else Publish each."""
    if batched:
        try:
            return list(client.PublishBatch(liiklus.PublishBatchRequest(records=[r for _, _, r in orders]), timeout=30).results)
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            print("PublishBatch is UNIMPLEMENTED on this gateway: using Publish")
    return [client.Publish(request, timeout=10) for _, _, request in orders]


with grpc.insecure_channel(address) as channel:
    client = liiklus_grpc.LiiklusServiceStub(channel)
    orders = [order_request(seq) for seq in range(1, count + 1)]
    for (order_id, key, _), reply in zip(orders, publish_all(client, orders)):
        print(f"published {order_id} key={key} partition={reply.partition} offset={reply.offset}")
