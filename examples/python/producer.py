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

with grpc.insecure_channel(address) as channel:
    client = liiklus_grpc.LiiklusServiceStub(channel)
    for seq in range(1, count + 1):
        key = f"customer-{seq % 3}"
        order = {"id": f"{source}-{seq}", "customer": key, "amount": seq * 10}
        reply = client.Publish(
            liiklus.PublishRequest(
                topic=topic,
                key=key.encode(),
                value=json.dumps(order).encode(),
                headers={"source": source.encode(), "seq": str(seq).encode()},
            ),
            timeout=10,
        )
        print(f"published {order['id']} key={key} partition={reply.partition} offset={reply.offset}")
