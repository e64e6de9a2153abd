import type { Logger } from 'pino';
import type { KafkaRecordsConfig } from '../../config.ts';
import type { KafkaDriver } from '../../driver.ts';
import { PlatformaticAdmin } from './admin.ts';
import { installPlatformaticCodecs } from './codecs.ts';
import { PlatformaticMember } from './member.ts';
import { PlatformaticProducer } from './producer.ts';

/**
 * KAFKA_DRIVER=platformatic: @platformatic/kafka. Its clients connect on
 * first use; connectAdmin / connectProducer resolve at once and the first
 * request fails the way a later one would (the store drops a failed client).
 */
export function platformaticDriver(config: KafkaRecordsConfig, logger: Logger): KafkaDriver {
  installPlatformaticCodecs();
  return {
    name: 'platformatic',
    connectAdmin: async () => new PlatformaticAdmin(config),
    connectProducer: async () => new PlatformaticProducer(config),
    createMember: (options) => new PlatformaticMember(options, config, logger.child({ topic: options.topic, group: options.group })),
  };
}
