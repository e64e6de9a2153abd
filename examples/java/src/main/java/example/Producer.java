package example;

import com.github.bsideup.liiklus.protocol.LiiklusServiceGrpc;
import com.github.bsideup.liiklus.protocol.PublishBatchRequest;
import com.github.bsideup.liiklus.protocol.PublishReply;
import com.github.bsideup.liiklus.protocol.PublishRequest;
import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
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
      List<String> ids = new ArrayList<>();
      List<PublishRequest> requests = new ArrayList<>();
      for (int seq = 1; seq <= count; seq++) {
        String key = "customer-" + (seq % 3);
        String id = source + "-" + seq;
        String order = String.format("{\"id\": \"%s\", \"customer\": \"%s\", \"amount\": %d}", id, key, seq * 10);
        ids.add(id);
        requests.add(PublishRequest.newBuilder()
            .setTopic(topic)
            .setKey(ByteString.copyFromUtf8(key))
            .setValue(ByteString.copyFromUtf8(order))
            .putHeaders("source", ByteString.copyFromUtf8(source))
            .putHeaders("seq", ByteString.copyFromUtf8(Integer.toString(seq)))
            .build());
      }
      List<PublishReply> replies = publishAll(client, requests, !"0".equals(Settings.env("SLUICE_BATCH", "500")));
      for (int i = 0; i < replies.size(); i++) {
        System.out.printf("published %s key=%s partition=%d offset=%d%n", ids.get(i), requests.get(i).getKey().toStringUtf8(),
            replies.get(i).getPartition(), replies.get(i).getOffset());
      }
    } finally {
      channel.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** PublishBatch (a Sluice addition: one call, results in order) where the gateway has it, else Publish for each record. */
  static List<PublishReply> publishAll(LiiklusServiceGrpc.LiiklusServiceBlockingStub client, List<PublishRequest> requests, boolean batched) {
    if (batched) {
      try {
        return client.withDeadlineAfter(30, TimeUnit.SECONDS).publishBatch(PublishBatchRequest.newBuilder().addAllRecords(requests).build()).getResultsList();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) throw e;
        System.out.println("PublishBatch is UNIMPLEMENTED on this gateway: using Publish");
      }
    }
    List<PublishReply> replies = new ArrayList<>();
    for (PublishRequest request : requests) replies.add(client.withDeadlineAfter(10, TimeUnit.SECONDS).publish(request));
    return replies;
  }
}
