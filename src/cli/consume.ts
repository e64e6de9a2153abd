import { Command, Option } from 'commander';
import { type PartitionStream, type Subscription } from '../client/index.ts';
import { formatRecord, type RecordFormat } from './format.ts';
import { addressOption, connectWith, describe, parseCount, type ConnectionFlags } from './shared.ts';

interface ConsumeFlags extends ConnectionFlags {
  group: string;
  groupVersion: number;
  from: 'earliest' | 'latest';
  format: RecordFormat;
  max?: number;
}

export function consumeCommand(): Command {
  return new Command('consume')
    .description('print the records of a topic as a member of a consumer group, acking them (at-least-once); Ctrl-C stops')
    .argument('<topic>', 'topic to consume')
    .requiredOption('-g, --group <group>', 'consumer group')
    .option('--group-version <n>', 'group version', parseCount('--group-version'), 0)
    .addOption(new Option('--from <where>', 'where a partition without an acked position starts').choices(['earliest', 'latest']).default('earliest'))
    .addOption(new Option('--format <format>', 'text: partition, offset, key, value (tab-separated); json: one object per line').choices(['text', 'json']).default('text'))
    .option('-n, --max <n>', 'exit after printing this many records', parseCount('--max', 1))
    .addOption(addressOption())
    .action(async (topic: string, flags: ConsumeFlags) => {
      const client = connectWith(flags);
      try {
        // Fails fast (and names the problem) when the gateway is unreachable or the topic invalid.
        await client.getEndOffsets(topic);
        const subscription = client.subscribe({ topic, group: flags.group, groupVersion: flags.groupVersion, from: flags.from });
        subscription.events$.subscribe((event) => {
          if (event.type === 'disconnected') process.stderr.write(`sluice: ${event.error.details}; subscribing again in ${event.retryInMs} ms\n`);
        });
        const stop = () => void subscription.close();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await printRecords(subscription, flags);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      } catch (err) {
        throw describe(err, flags.address);
      } finally {
        await client.close();
      }
    });
}

/** Prints records until closed or `max` records are printed; only printed records are acked. */
async function printRecords(subscription: Subscription, flags: ConsumeFlags): Promise<void> {
  let printed = 0;
  const reachedMax = () => flags.max !== undefined && printed >= flags.max;
  const drain = async (stream: PartitionStream) => {
    for await (const record of stream) {
      if (reachedMax()) break; // leaving the loop leaves this record unacked
      process.stdout.write(`${formatRecord(record, flags.format)}\n`);
      printed++;
      if (reachedMax()) {
        stream.markDone();
        void subscription.close();
      }
    }
  };
  const loops: Promise<void>[] = [];
  try {
    for await (const stream of subscription) loops.push(drain(stream));
  } finally {
    await Promise.all(loops);
  }
}
