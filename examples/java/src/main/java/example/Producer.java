package example;

import com.github.bsideup.liiklus.protocol.LiiklusServiceGrpc;
import com.github.bsideup.liiklus.protocol.PublishReply;
import com.github.bsideup.liiklus.protocol.PublishRequest;
import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.concurrent.TimeUnit;

/**
 * Publishes orders to Sluice with a key and headers, one call at a time.
 *
 * <pre>examples/java/run.sh producer
 * SLUICE_ADDRESS=host:port SLUICE_TOPIC=example-orders SLUICE_COUNT=10 examples/java/run.sh producer</pre>
 */
public final class Producer {
  public static void main(String[] args) throws InterruptedException {
    String address = Settings.env("SLUICE_ADDRESS", "localhost:6565");
    String topic = Settings.env("SLUICE_TOPIC", "example-orders");
    int count = Integer.parseInt(Settings.env("SLUICE_COUNT", "10"));
    String source = Settings.env("SLUICE_SOURCE", "java");

    ManagedChannel channel = Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).build();
    try {
      LiiklusServiceGrpc.LiiklusServiceBlockingStub client = LiiklusServiceGrpc.newBlockingStub(channel);
      for (int seq = 1; seq <= count; seq++) {
        String key = "customer-" + (seq % 3);
        String id = source + "-" + seq;
        String order = String.format("{\"id\": \"%s\", \"customer\": \"%s\", \"amount\": %d}", id, key, seq * 10);
        PublishReply reply = client.withDeadlineAfter(10, TimeUnit.SECONDS).publish(PublishRequest.newBuilder()
            .setTopic(topic)
            .setKey(ByteString.copyFromUtf8(key))
            .setValue(ByteString.copyFromUtf8(order))
            .putHeaders("source", ByteString.copyFromUtf8(source))
            .putHeaders("seq", ByteString.copyFromUtf8(Integer.toString(seq)))
            .build());
        System.out.printf("published %s key=%s partition=%d offset=%d%n", id, key, reply.getPartition(), reply.getOffset());
      }
    } finally {
      channel.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
