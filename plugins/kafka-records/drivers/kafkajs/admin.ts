import type { Admin, Kafka } from 'kafkajs';
import type { AdminDriver, PartitionInfo } from '../../driver.ts';

/** kafkajs's admin client. */
export class KafkajsAdmin implements AdminDriver {
  private constructor(private readonly admin: Admin) {}

  static async connect(client: Kafka): Promise<KafkajsAdmin> {
    const admin = client.admin();
    try {
      await admin.connect();
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
    return new KafkajsAdmin(admin);
  }

  async describeCluster(): Promise<{ clusterId: string; brokers: number }> {
    const cluster = await this.admin.describeCluster();
    return { clusterId: cluster.clusterId, brokers: cluster.brokers.length };
  }

  async topicPartitions(topic: string): Promise<PartitionInfo[]> {
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return (topics.find((t) => t.name === topic)?.partitions ?? []).map(({ partitionId, leader }) => ({ partitionId, leader }));
  }

  createTopic(topic: string, partitions: number, replication: number): Promise<boolean> {
    return this.admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions, replicationFactor: replication }] });
  }

  async watermarks(topic: string): Promise<Array<{ partition: number; low: bigint; high: bigint }>> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.map(({ partition, low, high }) => ({ partition, low: BigInt(low), high: BigInt(high) }));
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}
