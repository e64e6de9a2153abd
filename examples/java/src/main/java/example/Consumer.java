package example;

import com.github.bsideup.liiklus.protocol.AckRequest;
import com.github.bsideup.liiklus.protocol.Assignment;
import com.github.bsideup.liiklus.protocol.LiiklusServiceGrpc;
import com.github.bsideup.liiklus.protocol.ReceiveBatchReply;
import com.github.bsideup.liiklus.protocol.ReceiveBatchRequest;
import com.github.bsideup.liiklus.protocol.ReceiveReply;
import com.github.bsideup.liiklus.protocol.ReceiveRequest;
import com.github.bsideup.liiklus.protocol.SubscribeReply;
import com.github.bsideup.liiklus.protocol.SubscribeRequest;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An at-least-once consumer, following the README's algorithm: subscribe with a
 * group; receive every assignment concurrently (a thread each); process a
 * record, then count it; ack the last processed offset every N records or T
 * seconds and when a Receive stream ends; subscribe again with backoff on
 * UNAVAILABLE. Stops after SLUICE_MAX records or on SIGINT / SIGTERM, acking
 * what it processed before leaving the group.
 *
 * <pre>examples/java/run.sh consumer
 * SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_GROUP=example-billing SLUICE_MAX=10 examples/java/run.sh consumer</pre>
 */
public final class Consumer {
  static final String TOPIC = Settings.env("SLUICE_TOPIC", "example-orders");
  static final String GROUP = Settings.env("SLUICE_GROUP", "example-billing");
  static final int MAX = Integer.parseInt(Settings.env("SLUICE_MAX", "0"));
  static final int ACK_EVERY = Integer.parseInt(Settings.env("SLUICE_ACK_EVERY", "100"));
  static final long ACK_NANOS = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(Settings.env("SLUICE_ACK_MS", "1000")));

  static final CountDownLatch stopping = new CountDownLatch(1);
  static final AtomicInteger handled = new AtomicInteger();
  static final AtomicInteger claimed = new AtomicInteger();
  /** Records per ReceiveBatch reply; 0: per-record Receive. Cleared when the gateway lacks ReceiveBatch. */
  static final AtomicInteger batchSize = new AtomicInteger(Integer.parseInt(Settings.env("SLUICE_BATCH", "500")));
  static LiiklusServiceGrpc.LiiklusServiceBlockingStub client;

  public static void main(String[] args) throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilder(Settings.env("SLUICE_ADDRESS", "localhost:6565"), InsecureChannelCredentials.create()).build();
    client = LiiklusServiceGrpc.newBlockingStub(channel);
    CountDownLatch done = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stopping.countDown();
      try {
        // Let main ack what was processed; then exit 0 (a stop asked for is no failure; the JVM would say 143).
        if (done.await(15, TimeUnit.SECONDS)) Runtime.getRuntime().halt(0);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    });
    Runtime.getRuntime().addShutdownHook(hook);

    int attempt = 0;
    while (stopping.getCount() > 0) {
      try {
        consumeOnce();
        attempt = 0;
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (stopping.getCount() == 0) break;
        if (code != Status.Code.UNAVAILABLE) {
          log("subscription failed: " + code + " " + e.getStatus().getDescription());
          System.exit(1);
        }
        attempt++;
        double delay = Math.min(10.0, 0.1 * Math.pow(2, attempt)) * (0.5 + ThreadLocalRandom.current().nextDouble() / 2);
        log(String.format("subscription lost (%s); subscribing again in %.1f s", e.getStatus().getDescription(), delay));
        stopping.await((long) (delay * 1000), TimeUnit.MILLISECONDS);
      }
    }
    log("handled " + handled.get() + " records");
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    done.countDown();
  }

  /** One subscription: a receiver per assignment, until the stream ends or we stop. */
  static void consumeOnce() {
    Context.CancellableContext subscription = Context.current().withCancellation();
    List<PartitionReceiver> receivers = new CopyOnWriteArrayList<>();
    Thread stopper = new Thread(() -> {
      try {
        stopping.await();
      } catch (InterruptedException e) {
        return; // the subscription ended first
      }
      // Receivers ack what they processed; only then the subscription leaves the group.
      for (PartitionReceiver receiver : receivers) receiver.stopAndJoin();
      subscription.cancel(null);
    });
    stopper.setDaemon(true);
    stopper.start();
    try {
      subscription.run(() -> {
        Iterator<SubscribeReply> replies = client.subscribe(SubscribeRequest.newBuilder().setTopic(TOPIC).setGroup(GROUP).build());
        while (replies.hasNext()) {
          Assignment assignment = replies.next().getAssignment();
          log("assigned partition=" + assignment.getPartition());
          PartitionReceiver receiver = new PartitionReceiver(assignment);
          receivers.add(receiver);
          receiver.start();
        }
      });
    } finally {
      for (PartitionReceiver receiver : receivers) receiver.joinQuietly();
      stopper.interrupt();
    }
  }

  static synchronized void log(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** Stands for real work: prints the record. Never fails on content it cannot read. */
  static void process(int partition, ReceiveReply.Record record) {
    StringBuilder headers = new StringBuilder();
    new TreeMap<>(record.getHeadersMap()).forEach((k, v) -> headers.append(headers.length() == 0 ? "" : ",").append(k).append('=').append(v.toString(StandardCharsets.UTF_8)));
    log(String.format("record partition=%d offset=%d key=%s replay=%b headers=%s value=%s", partition, record.getOffset(),
        record.getKey().toString(StandardCharsets.UTF_8), record.getReplay(), headers, record.getValue().toString(StandardCharsets.UTF_8)));
    if (handled.incrementAndGet() == MAX) stopping.countDown();
  }

  /** Receives one assigned partition and acks what was processed. */
  static final class PartitionReceiver extends Thread {
    private final Assignment assignment;
    private final Context.CancellableContext call = Context.current().withCancellation();
    private long last;
    private int unacked;
    private long firstUnackedAt;

    PartitionReceiver(Assignment assignment) {
      this.assignment = assignment;
      setDaemon(true);
    }

    @Override
    public void run() {
      Thread ticker = new Thread(this::tick);
      ticker.setDaemon(true);
      ticker.start();
      try {
        call.run(() -> {
          Iterator<ReceiveReply> replies = records();
          while (replies.hasNext()) {
            ReceiveReply reply = replies.next();
            // Not processed when stopping (or past SLUICE_MAX): the group gets it again.
            if (stopping.getCount() == 0 || (MAX > 0 && claimed.incrementAndGet() > MAX)) break;
            process(assignment.getPartition(), reply.getRecord());
            note(reply.getRecord().getOffset());
          }
        });
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.CANCELLED) {
          log("receive partition=" + assignment.getPartition() + " ended: " + e.getStatus().getCode() + " " + e.getStatus().getDescription());
        }
      } finally {
        ticker.interrupt();
        flush("end"); // revoked, subscription over, or stopping: ack what was processed
        call.cancel(null);
      }
    }

    /** The partition's records: ReceiveBatch (a Sluice addition) where the gateway has it, else Receive. */
    private Iterator<ReceiveReply> records() {
      ReceiveRequest request = ReceiveRequest.newBuilder().setAssignment(assignment).build();
      int size = batchSize.get();
      if (size > 0) {
        Iterator<ReceiveBatchReply> batches = client.receiveBatch(ReceiveBatchRequest.newBuilder().setRequest(request).setMaxRecords(size).build());
        try {
          batches.hasNext(); // the first batch, or the status
          return flatten(batches);
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) throw e;
          // Answered before any record: nothing was delivered.
          if (batchSize.getAndSet(0) > 0) log("ReceiveBatch is UNIMPLEMENTED on this gateway: using Receive");
        }
      }
      return client.receive(request);
    }

    private static Iterator<ReceiveReply> flatten(Iterator<ReceiveBatchReply> batches) {
      return new Iterator<>() {
        private Iterator<ReceiveReply> current = Collections.emptyIterator();

        @Override
        public boolean hasNext() {
          while (!current.hasNext() && batches.hasNext()) current = batches.next().getRepliesList().iterator();
          return current.hasNext();
        }

        @Override
        public ReceiveReply next() {
          if (!hasNext()) throw new NoSuchElementException();
          return current.next();
        }
      };
    }

    private void note(long offset) {
      boolean due;
      synchronized (this) {
        last = offset;
        if (unacked++ == 0) firstUnackedAt = System.nanoTime();
        due = unacked >= ACK_EVERY;
      }
      if (due) flush("records");
    }

    private void tick() {
      try {
        while (true) {
          Thread.sleep(100);
          boolean due;
          synchronized (this) {
            due = unacked > 0 && System.nanoTime() - firstUnackedAt >= ACK_NANOS;
          }
          if (due) flush("time");
        }
      } catch (InterruptedException e) {
        // the stream ended
      }
    }

    private synchronized void flush(String reason) {
      if (unacked == 0) return;
      // The stateless Ack: the processed record's own offset (not offset + 1).
      client.withDeadlineAfter(10, TimeUnit.SECONDS).ack(AckRequest.newBuilder()
          .setTopic(TOPIC).setGroup(GROUP).setPartition(assignment.getPartition()).setOffset(last).build());
      unacked = 0;
      log("acked partition=" + assignment.getPartition() + " offset=" + last + " (" + reason + ")");
    }

    void stopAndJoin() {
      call.cancel(null);
      joinQuietly();
    }

    void joinQuietly() {
      try {
        join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
