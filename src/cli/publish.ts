import { Command } from 'commander';
import type { PublishResult, SluiceClient } from '../client/index.ts';
import { lineSource } from './lines.ts';
import { Progress, summaryLine } from './progress.ts';
import { addressOption, parseCount, withClient, type ConnectionFlags } from './shared.ts';

interface PublishFlags extends ConnectionFlags {
  key?: string;
  file?: string;
  inFlight: number;
}

export function publishCommand(): Command {
  return new Command('publish')
    .description('publish a value, each line of a file, or each line of stdin (empty lines are skipped)')
    .argument('<topic>', 'topic to publish to')
    .argument('[value]', 'the value of one record')
    .option('-k, --key <key>', 'record key: records with the same key land in the same partition')
    .option('-f, --file <path>', 'publish each line of this file as one record')
    .option('--in-flight <n>', 'publishes awaiting a reply at once (1 keeps the input order)', parseCount('--in-flight', 1), 1)
    .addOption(addressOption())
    .action(async (topic: string, value: string | undefined, flags: PublishFlags) => {
      const source = await lineSource(value, flags.file);
      await withClient(flags, async (client) => {
        const progress = new Progress(source.total);
        let last: PublishResult | undefined;
        try {
          last = await publishAll(client, topic, source.values, flags, (result) => {
            progress.tick();
            return result;
          });
        } finally {
          progress.stop();
        }
        if (value !== undefined && last !== undefined) {
          process.stdout.write(`published to ${last.topic}: partition ${last.partition}, offset ${last.offset}\n`);
        } else {
          process.stdout.write(`${summaryLine(progress.count, progress.elapsedSeconds())}\n`);
        }
      });
    });
}

/** Publishes every value with at most `inFlight` calls outstanding; stops at the first failure. */
async function publishAll(
  client: SluiceClient,
  topic: string,
  values: AsyncIterable<string>,
  flags: PublishFlags,
  onPublished: (result: PublishResult) => PublishResult,
): Promise<PublishResult | undefined> {
  const pending = new Set<Promise<unknown>>();
  let failure: { error: unknown } | undefined;
  let last: PublishResult | undefined;
  for await (const value of values) {
    if (failure) break;
    const call = client
      .publish(topic, value, flags.key === undefined ? {} : { key: flags.key })
      .then(
        (result) => (last = onPublished(result)),
        (error: unknown) => (failure ??= { error }),
      )
      .finally(() => pending.delete(call));
    pending.add(call);
    if (pending.size >= flags.inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failure) throw failure.error;
  return last;
}
