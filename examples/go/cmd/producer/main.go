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
	"google.golang.org/grpc/credentials/insecure"

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

	for seq := 1; seq <= count; seq++ {
		key := fmt.Sprintf("customer-%d", seq%3)
		id := fmt.Sprintf("%s-%d", source, seq)
		order := fmt.Sprintf(`{"id": %q, "customer": %q, "amount": %d}`, id, key, seq*10)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		reply, err := client.Publish(ctx, &pb.PublishRequest{
			Topic:   topic,
			Key:     []byte(key),
			Value:   []byte(order),
			Headers: map[string][]byte{"source": []byte(source), "seq": []byte(strconv.Itoa(seq))},
		})
		cancel()
		if err != nil {
			log.Fatalf("publish %s: %v", id, err)
		}
		fmt.Printf("published %s key=%s partition=%d offset=%d\n", id, key, reply.GetPartition(), reply.GetOffset())
	}
}
