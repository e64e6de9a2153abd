import { Admin, ListOffsetTimestamps } from '@platformatic/kafka';
import type { KafkaRecordsConfig } from '../../config.ts';
import type { AdminDriver, PartitionInfo } from '../../driver.ts';
import { kafkaErrorType } from '../../errors.ts';
import { clientOptions } from './client.ts';

/** @platformatic/kafka's Admin. */
export class PlatformaticAdmin implements AdminDriver {
  private readonly admin: Admin;

  constructor(config: KafkaRecordsConfig) {
    this.admin = new Admin(clientOptions(config, 'admin'));
  }

  async describeCluster(): Promise<{ clusterId: string; brokers: number }> {
    const metadata = await this.admin.metadata({ topics: [], forceUpdate: true });
    return { clusterId: metadata.id, brokers: metadata.brokers.size };
  }

  async topicPartitions(topic: string): Promise<PartitionInfo[]> {
    let metadata;
    try {
      metadata = await this.admin.metadata({ topics: [topic], forceUpdate: true });
    } catch (err) {
      // @platformatic/kafka reports UNKNOWN_TOPIC_OR_PARTITION of a metadata request as this UserError.
      if (isUnknownTopic(err)) return [];
      throw err;
    }
    return (metadata.topics.get(topic)?.partitions ?? []).map(({ leader }, partitionId) => ({ partitionId, leader }));
  }

  async createTopic(topic: string, partitions: number, replication: number): Promise<boolean> {
    try {
      await this.admin.createTopics({ topics: [topic], partitions, replicas: replication });
      return true;
    } catch (err) {
      if (kafkaErrorType(err) === 'TOPIC_ALREADY_EXISTS') return false;
      throw err;
    }
  }

  async watermarks(topic: string): Promise<Array<{ partition: number; low: bigint; high: bigint }>> {
    const count = (await this.topicPartitions(topic)).length;
    const at = async (timestamp: bigint) => {
      const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }));
      const [listed] = await this.admin.listOffsets({ topics: [{ name: topic, partitions }] });
      return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
    };
    const [low, high] = await Promise.all([at(ListOffsetTimestamps.EARLIEST), at(ListOffsetTimestamps.LATEST)]);
    return [...high].map(([partition, h]) => ({ partition, low: low.get(partition) ?? 0n, high: h }));
  }

  close(): Promise<void> {
    return this.admin.close();
  }
}

export function isUnknownTopic(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return e?.code === 'PLT_KFK_USER' && (e.message ?? '').startsWith('Unknown topic');
}
