// An at-least-once consumer, following the README's algorithm: subscribe with
// a group; receive every assignment concurrently (a goroutine each); process a
// record, then count it; ack the last processed offset every N records or T
// seconds and when a Receive stream ends; subscribe again with backoff on
// UNAVAILABLE. Stops after SLUICE_MAX records or on SIGINT / SIGTERM, acking
// what it processed before leaving the group.
//
//	examples/go/run.sh consumer
//	SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_GROUP=example-billing SLUICE_MAX=10 examples/go/run.sh consumer
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "sluice.example/go/gen/liiklus"
)

var (
	topic    = env("SLUICE_TOPIC", "example-orders")
	group    = env("SLUICE_GROUP", "example-billing")
	maxCount = int64(envInt("SLUICE_MAX", 0))
	ackEvery = envInt("SLUICE_ACK_EVERY", 100)
	ackAfter = time.Duration(envInt("SLUICE_ACK_MS", 1000)) * time.Millisecond
	// Records per ReceiveBatch reply; 0: per-record Receive. Cleared when the gateway lacks ReceiveBatch.
	batchSize atomic.Int64

	handled, claimed atomic.Int64
	out              sync.Mutex
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func envInt(name string, fallback int) int {
	n, err := strconv.Atoi(env(name, strconv.Itoa(fallback)))
	if err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	return n
}

func say(format string, args ...any) {
	out.Lock()
	defer out.Unlock()
	fmt.Printf(format+"\n", args...)
}

func main() {
	batchSize.Store(int64(envInt("SLUICE_BATCH", 500)))
	conn, err := grpc.NewClient(env("SLUICE_ADDRESS", "localhost:6565"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewLiiklusServiceClient(conn)

	// stopping is cancelled on a signal or once SLUICE_MAX records were processed.
	stopping, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for attempt := 0; stopping.Err() == nil; {
		err := consumeOnce(stopping, stop, client)
		if stopping.Err() != nil {
			break
		}
		if status.Code(err) != codes.Unavailable && err != nil {
			say("subscription failed: %v", err)
			os.Exit(1)
		}
		attempt++
		delay := math.Min(10, 0.1*math.Pow(2, float64(attempt))) * (0.5 + rand.Float64()/2)
		say("subscription lost (%v); subscribing again in %.1f s", err, delay)
		select {
		case <-stopping.Done():
		case <-time.After(time.Duration(delay * float64(time.Second))):
		}
	}
	say("handled %d records", handled.Load())
}

// consumeOnce runs one subscription: a receiver per assignment until the stream
// ends or we stop. On stop, receivers ack what they processed before the
// subscription leaves the group.
func consumeOnce(stopping context.Context, stop func(), client pb.LiiklusServiceClient) error {
	subscription, cancelSubscription := context.WithCancel(context.Background())
	defer cancelSubscription()
	stream, err := client.Subscribe(subscription, &pb.SubscribeRequest{Topic: topic, Group: group})
	if err != nil {
		return err
	}
	var receivers sync.WaitGroup
	// Receive streams live in their own context: cancelling it stops them while the subscription still holds the partitions.
	receiving, stopReceiving := context.WithCancel(context.Background())
	defer stopReceiving()
	go func() {
		select {
		case <-stopping.Done():
			stopReceiving()
			receivers.Wait()
			cancelSubscription()
		case <-subscription.Done():
		}
	}()
	for {
		reply, err := stream.Recv()
		if err != nil {
			stopReceiving()
			receivers.Wait()
			if errors.Is(err, io.EOF) {
				return status.Error(codes.Unavailable, "subscription ended")
			}
			return err
		}
		assignment := reply.GetAssignment()
		say("assigned partition=%d", assignment.GetPartition())
		receivers.Add(1)
		go func() {
			defer receivers.Done()
			(&receiver{client: client, assignment: assignment, stop: stop}).run(receiving)
		}()
	}
}

type receiver struct {
	client     pb.LiiklusServiceClient
	assignment *pb.Assignment
	stop       func()

	mu             sync.Mutex
	last           uint64
	unacked        int
	firstUnackedAt time.Time
}

// records returns the partition's next records: ReceiveBatch (a Sluice
// addition) where the gateway has it, else Receive, one record per call.
func (r *receiver) records(ctx context.Context) (func() ([]*pb.ReceiveReply, error), error) {
	request := &pb.ReceiveRequest{Assignment: r.assignment}
	if size := batchSize.Load(); size > 0 {
		stream, err := r.client.ReceiveBatch(ctx, &pb.ReceiveBatchRequest{Request: request, MaxRecords: uint32(size)})
		if err != nil {
			return nil, err
		}
		first, err := stream.Recv()
		if status.Code(err) != codes.Unimplemented {
			pending := first
			return func() ([]*pb.ReceiveReply, error) {
				if pending != nil || err != nil {
					batch, e := pending, err
					pending, err = nil, nil
					if e != nil {
						return nil, e
					}
					return batch.GetReplies(), nil
				}
				batch, e := stream.Recv()
				return batch.GetReplies(), e
			}, nil
		}
		// Answered before any record: nothing was delivered.
		if batchSize.Swap(0) > 0 {
			say("ReceiveBatch is UNIMPLEMENTED on this gateway: using Receive")
		}
	}
	stream, err := r.client.Receive(ctx, request)
	if err != nil {
		return nil, err
	}
	return func() ([]*pb.ReceiveReply, error) {
		reply, err := stream.Recv()
		if err != nil {
			return nil, err
		}
		return []*pb.ReceiveReply{reply}, nil
	}, nil
}

func (r *receiver) run(ctx context.Context) {
	partition := r.assignment.GetPartition()
	done := make(chan struct{})
	defer func() {
		close(done)
		r.flush("end") // revoked, subscription over, or stopping: ack what was processed
	}()
	next, err := r.records(ctx)
	if err != nil {
		return
	}
	go r.tick(done)
	for {
		replies, err := next()
		if err != nil {
			if !errors.Is(err, io.EOF) && status.Code(err) != codes.Canceled {
				say("receive partition=%d ended: %v", partition, err)
			}
			return
		}
		for _, reply := range replies {
			if ctx.Err() != nil || (maxCount > 0 && claimed.Add(1) > maxCount) {
				return // not processed: the group gets it again
			}
			process(partition, reply.GetRecord())
			if maxCount > 0 && handled.Load() >= maxCount {
				r.stop()
			}
			r.note(reply.GetRecord().GetOffset())
		}
	}
}

// process stands for real work: it prints the record, and never fails on content it cannot read.
func process(partition uint32, record *pb.ReceiveReply_Record) {
	keys := make([]string, 0, len(record.GetHeaders()))
	for k := range record.GetHeaders() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	headers := make([]string, len(keys))
	for i, k := range keys {
		headers[i] = k + "=" + string(record.GetHeaders()[k])
	}
	say("record partition=%d offset=%d key=%s replay=%t headers=%s value=%s", partition, record.GetOffset(),
		record.GetKey(), record.GetReplay(), strings.Join(headers, ","), record.GetValue())
	handled.Add(1)
}

func (r *receiver) note(offset uint64) {
	r.mu.Lock()
	r.last = offset
	if r.unacked == 0 {
		r.firstUnackedAt = time.Now()
	}
	r.unacked++
	due := r.unacked >= ackEvery
	r.mu.Unlock()
	if due {
		r.flush("records")
	}
}

func (r *receiver) tick(done <-chan struct{}) {
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-done:
			return
		case <-ticker.C:
			r.mu.Lock()
			due := r.unacked > 0 && time.Since(r.firstUnackedAt) >= ackAfter
			r.mu.Unlock()
			if due {
				r.flush("time")
			}
		}
	}
}

func (r *receiver) flush(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unacked == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The stateless Ack: the processed record's own offset (not offset + 1).
	_, err := r.client.Ack(ctx, &pb.AckRequest{Topic: topic, Group: group, Partition: r.assignment.GetPartition(), Offset: r.last})
	if err != nil {
		say("ack partition=%d offset=%d failed: %v", r.assignment.GetPartition(), r.last, err)
		return // stays pending: the next flush sends it
	}
	r.unacked = 0
	say("acked partition=%d offset=%d (%s)", r.assignment.GetPartition(), r.last, reason)
}
