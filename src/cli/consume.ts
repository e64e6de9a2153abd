import { Command, Option } from 'commander';
import { type PartitionStream, type SluiceClient, type Subscription } from '../client/index.ts';
import { formatRecord, type RecordFormat } from './format.ts';
import { addressOption, connectWith, describe, explain, parseCount, type ConnectionFlags } from './shared.ts';

interface ConsumeFlags extends ConnectionFlags {
  group: string;
  groupVersion: number;
  from: 'earliest' | 'latest';
  format: RecordFormat;
  max?: number;
  untilEnd?: boolean;
}

export function consumeCommand(): Command {
  return new Command('consume')
    .description('print the records of a topic as a member of a consumer group, acking them (at-least-once); Ctrl-C stops')
    .argument('<topic>', 'topic to consume')
    .requiredOption('-g, --group <group>', 'consumer group (required)')
    .option('--group-version <n>', 'group version', parseCount('--group-version'), 0)
    .addOption(new Option('--from <where>', 'where a partition without an acked position starts').choices(['earliest', 'latest']).default('earliest'))
    .addOption(new Option('--format <format>', 'text: partition, offset, key, value (tab-separated); json: one object per line').choices(['text', 'json']).default('text'))
    .option('-n, --max <n>', 'exit after printing this many records', parseCount('--max', 1))
    .option('--until-end', 'exit once caught up: every partition printed up to the end offset it had when the command started (waits for partitions other members of the group hold)')
    .addOption(addressOption())
    .action(async (topic: string, flags: ConsumeFlags) => {
      const client = connectWith(flags);
      try {
        // Fails fast (and names the problem) when the gateway is unreachable or the topic invalid.
        const endOffsets = await client.getEndOffsets(topic);
        const remaining = flags.untilEnd ? await partitionsBehind(client, topic, flags, endOffsets) : undefined;
        if (remaining?.size === 0) return;
        const subscription = client.subscribe({ topic, group: flags.group, groupVersion: flags.groupVersion, from: flags.from });
        subscription.events$.subscribe((event) => {
          if (event.type === 'disconnected') {
            process.stderr.write(`sluice: subscription lost: ${explain(event.error, flags.address)}; subscribing again in ${(event.retryInMs / 1000).toFixed(1)} s\n`);
          }
        });
        const stop = () => void subscription.close();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await printRecords(subscription, flags, remaining);
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

/**
 * `--until-end`: partition → end offset, for the partitions whose records up
 * to that end the group has not acked yet (with `--from latest`, a partition
 * without an acked position has nothing to catch up on).
 */
async function partitionsBehind(client: SluiceClient, topic: string, flags: ConsumeFlags, ends: Map<number, bigint>): Promise<Map<number, bigint>> {
  const acked = await client.getOffsets(topic, flags.group, flags.groupVersion);
  const behind = new Map<number, bigint>();
  for (const [partition, end] of ends) {
    const position = acked.get(partition);
    if (position === undefined ? flags.from === 'earliest' : position < end) behind.set(partition, end);
  }
  return behind;
}

/**
 * Prints records until closed, `max` records are printed, or (with
 * `remaining`) every partition in it reached its end offset; only printed
 * records are acked.
 */
async function printRecords(subscription: Subscription, flags: ConsumeFlags, remaining?: Map<number, bigint>): Promise<void> {
  let printed = 0;
  const reachedMax = () => flags.max !== undefined && printed >= flags.max;
  const caughtUp = (partition: number, offset: bigint) => {
    if (remaining === undefined) return false;
    const end = remaining.get(partition);
    if (end !== undefined && offset >= end) remaining.delete(partition);
    return remaining.size === 0;
  };
  const drain = async (stream: PartitionStream) => {
    for await (const record of stream) {
      if (reachedMax()) break; // leaving the loop leaves this record unacked
      process.stdout.write(`${formatRecord(record, flags.format)}\n`);
      printed++;
      if (caughtUp(record.partition, record.offset) || reachedMax()) {
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
