import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes records with the Java client and a compression codec, as a Java
 * service would: java -cp '<kafka lib>/*' CompressedProducer.java
 * <bootstrap> <topic> <gzip|snappy|lz4|zstd|none> <count> [headers]
 * Record i goes to partition 0 with key "k<i>" and value "<codec>-<i>" padded
 * to 200 bytes (so batches compress), and a header "seq" when asked.
 */
public class CompressedProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], codec = args[2];
    int count = Integer.parseInt(args[3]);
    boolean headers = args.length > 4 && args[4].equals("headers");
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    String padding = "x".repeat(200);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < count; i++) {
        String value = (codec + "-" + i + "-" + padding).substring(0, 200);
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, "k" + i, value);
        if (headers) record.headers().add("seq", Integer.toString(i).getBytes());
        producer.send(record);
      }
      producer.flush();
    }
    System.out.println("sent " + count);
  }
}
