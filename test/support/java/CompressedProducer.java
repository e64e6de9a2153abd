import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes records with the Java client and a compression codec, as a Java
 * service would: java -cp '<kafka lib>/*' CompressedProducer.java
 * <bootstrap> <count> <topic>,<gzip|snappy|lz4|zstd|none>,<plain|headers> ...
 * For each topic, record i goes to partition 0 with key "k<i>" and value
 * "<codec>-<i>" padded to 200 bytes (so batches compress), and a header
 * "seq" with headers. One JVM for all topics: a JVM start costs seconds here.
 */
public class CompressedProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    int count = Integer.parseInt(args[1]);
    String padding = "x".repeat(200);
    for (int t = 2; t < args.length; t++) {
      String[] spec = args[t].split(",");
      String topic = spec[0], codec = spec[1];
      boolean headers = spec[2].equals("headers");
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
      props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
      props.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
      props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
        for (int i = 0; i < count; i++) {
          String value = (codec + "-" + i + "-" + padding).substring(0, 200);
          ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, "k" + i, value);
          if (headers) record.headers().add("seq", Integer.toString(i).getBytes());
          producer.send(record);
        }
        producer.flush();
      }
      System.out.println("sent " + count + " to " + topic);
    }
  }
}
