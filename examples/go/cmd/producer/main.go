// Publishes orders to Sluice with a key and headers, one call at a time.
//
//	examples/go/run.sh producer
//	SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_COUNT=10 examples/go/run.sh producer
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "sluice.example/go/gen/liiklus"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func main() {
	topic := env("SLUICE_TOPIC", "example-orders")
	source := env("SLUICE_SOURCE", "go")
	count, err := strconv.Atoi(env("SLUICE_COUNT", "10"))
	if err != nil {
		log.Fatalf("SLUICE_COUNT: %v", err)
	}
	conn, err := grpc.NewClient(env("SLUICE_ADDRESS", "localhost:6565"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewLiiklusServiceClient(conn)

	var ids, keys []string
	var requests []*pb.PublishRequest
	for seq := 1; seq <= count; seq++ {
		key := fmt.Sprintf("customer-%d", seq%3)
		id := fmt.Sprintf("%s-%d", source, seq)
		order := fmt.Sprintf(`{"id": %q, "customer": %q, "amount": %d}`, id, key, seq*10)
		ids, keys = append(ids, id), append(keys, key)
		requests = append(requests, &pb.PublishRequest{
			Topic:   topic,
			Key:     []byte(key),
			Value:   []byte(order),
			Headers: map[string][]byte{"source": []byte(source), "seq": []byte(strconv.Itoa(seq))},
		})
	}
	replies, err := publishAll(client, requests, env("SLUICE_BATCH", "500") != "0")
	if err != nil {
		log.Fatalf("publish: %v", err)
	}
	for i, reply := range replies {
		fmt.Printf("published %s key=%s partition=%d offset=%d\n", ids[i], keys[i], reply.GetPartition(), reply.GetOffset())
	}
}

// publishAll uses PublishBatch (a Sluice addition: one call, results in order)
// where the gateway has it, else Publish for each record.
func publishAll(client pb.LiiklusServiceClient, requests []*pb.PublishRequest, batched bool) ([]*pb.PublishReply, error) {
	if batched {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		reply, err := client.PublishBatch(ctx, &pb.PublishBatchRequest{Records: requests})
		cancel()
		if status.Code(err) != codes.Unimplemented {
			return reply.GetResults(), err
		}
		fmt.Println("PublishBatch is UNIMPLEMENTED on this gateway: using Publish")
	}
	replies := make([]*pb.PublishReply, 0, len(requests))
	for _, request := range requests {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		reply, err := client.Publish(ctx, request)
		cancel()
		if err != nil {
			return nil, err
		}
		replies = append(replies, reply)
	}
	return replies, nil
}
