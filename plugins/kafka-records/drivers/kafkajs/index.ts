import type { Logger } from 'pino';
import type { KafkaRecordsConfig } from '../../config.ts';
import type { KafkaDriver } from '../../driver.ts';
import { KafkajsAdmin } from './admin.ts';
import { createKafkaClient } from './client.ts';
import { installKafkajsCodecs } from './codecs.ts';
import { KafkajsMember } from './member.ts';
import { installKafkajsFetchWake } from './fetch-wake.ts';
import { installKafkajsProduceRequest } from './produce-request.ts';
import { KafkajsProducer } from './producer.ts';
import { installKafkajsRawFetch } from './raw-messages.ts';
import { installKafkajsRecordBatches } from './record-batches.ts';
import { installKafkajsWholeResponses } from './response-socket.ts';

/** KAFKA_DRIVER=kafkajs: kafkajs 2.2.4. */
export function kafkajsDriver(config: KafkaRecordsConfig, logger: Logger): KafkaDriver {
  installKafkajsCodecs();
  let blocks = false;
  if (config.kafkajsRecordDecoder !== 'kafkajs') {
    const decoder = installKafkajsRecordBatches();
    if (!decoder.installed) logger.warn(`kafkajs decodes fetched records itself (slower): the gateway's decoder was not installed: ${decoder.reason}`);
    if (decoder.installed && config.kafkajsRecordDecoder === 'blocks') {
      const raw = installKafkajsRawFetch();
      if (!raw.installed) logger.warn(`fetched records are read as objects (slower): ${raw.reason}`);
      blocks = raw.installed;
    }
  }
  if (config.kafkajsProduceEncoder === 'sluice') {
    const encoder = installKafkajsProduceRequest();
    if (!encoder.installed) logger.warn(`kafkajs encodes produce requests itself (slower): the gateway's encoder was not installed: ${encoder.reason}`);
  }
  const wake = installKafkajsFetchWake();
  if (!wake.installed) logger.warn(`a partition resumed while all of a member's partitions were paused waits out kafkajs's fetch max wait: ${wake.reason}`);
  let wholeResponses = false;
  if (config.kafkajsResponseReader === 'sluice') {
    const reader = installKafkajsWholeResponses();
    if (!reader.installed) logger.warn(`kafkajs reads broker responses itself (a copy of every fetch response): ${reader.reason}`);
    wholeResponses = reader.installed;
  }
  const admin = createKafkaClient(config, logger, 'admin', wholeResponses);
  const producer = createKafkaClient(config, logger, 'producer', wholeResponses);
  return {
    name: 'kafkajs',
    connectAdmin: () => KafkajsAdmin.connect(admin),
    connectProducer: () => KafkajsProducer.connect(producer),
    // One client per member: kafkajs shares committed-offset state among a client's consumers.
    createMember: (options) => new KafkajsMember(createKafkaClient(config, logger, 'consumer', wholeResponses), options, config, logger.child({ topic: options.topic, group: options.group }), blocks),
  };
}
