// Publishes records one unary Publish call each, with a fixed number of calls
// in flight, and prints the rate: the benchmark's unary-publish load from a
// lean gRPC client (grpc-go), beside the same load from grpc-js, whose own
// per-call cost is larger than the gateway's on one machine.
//
//	SLUICE_ADDRESS=host:port SLUICE_TOPIC=t SLUICE_COUNT=20000 SLUICE_IN_FLIGHT=256 examples/go/run.sh publish-load
//
// Output, one line: {"records":N,"seconds":S,"perSecond":R}
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
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

func intEnv(name, fallback string) int {
	n, err := strconv.Atoi(env(name, fallback))
	if err != nil || n < 1 {
		log.Fatalf("%s: a positive integer, got %q", name, env(name, fallback))
	}
	return n
}

func main() {
	topic := env("SLUICE_TOPIC", "publish-load")
	count := intEnv("SLUICE_COUNT", "20000")
	inFlight := intEnv("SLUICE_IN_FLIGHT", "256")
	valueBytes := intEnv("SLUICE_VALUE_BYTES", "100")
	conn, err := grpc.NewClient(env("SLUICE_ADDRESS", "localhost:6565"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewLiiklusServiceClient(conn)
	value := make([]byte, valueBytes)
	for i := range value {
		value[i] = 'x'
	}
	// The same keys as the benchmark's grpc-js load: k0..k999.
	publish := func(i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.Publish(ctx, &pb.PublishRequest{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i%1000)), Value: value})
		return err
	}
	if err := publish(0); err != nil {
		log.Fatalf("warm-up publish: %v", err)
	}

	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	started := time.Now()
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= count || failed.Load() != nil {
					return
				}
				if err := publish(i); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	seconds := time.Since(started).Seconds()
	if err := failed.Load(); err != nil {
		log.Fatalf("publish: %v", *err)
	}
	out, _ := json.Marshal(map[string]float64{"records": float64(count), "seconds": seconds, "perSecond": float64(count) / seconds})
	fmt.Println(string(out))
}
