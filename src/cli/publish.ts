import { Command } from 'commander';
import type { PublishRecord, PublishResult, SluiceClient } from '../client/index.ts';
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
    .option('--in-flight <n>', 'publish calls (of up to 500 records each) awaiting a reply at once (1 keeps the input order)', parseCount('--in-flight', 1), 1)
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

/** Records per PublishBatch call (the client falls back to Publish on a gateway without it). */
const BATCH_RECORDS = 500;

/**
 * Publishes every value in PublishBatch calls of up to BATCH_RECORDS, with at
 * most `inFlight` calls outstanding; stops at the first failure. A batch is
 * sent when it is full or when the input has nothing more ready, so a slow
 * stdin is not held back.
 */
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
  const options = flags.key === undefined ? {} : { key: flags.key };
  const publishBatch = async (records: PublishRecord[]) =>
    // One record: plain Publish (its errors name the field as Publish does).
    records.length === 1 ? [await client.publish(topic, records[0]!.value, options)] : client.publishBatch(records);
  let batch: string[] = [];
  const send = async () => {
    const records = batch.map((value) => ({ topic, value, ...options }));
    batch = [];
    const call = publishBatch(records)
      .then(
        (results) => results.forEach((result) => (last = onPublished(result))),
        (error: unknown) => (failure ??= { error }),
      )
      .finally(() => pending.delete(call));
    pending.add(call);
    if (pending.size >= flags.inFlight) await Promise.race(pending);
  };
  const iterator = values[Symbol.asyncIterator]();
  let next = iterator.next();
  for (;;) {
    // Send what is gathered when the next line is not ready yet (a slow stdin).
    const ready = await Promise.race([next, new Promise<'waiting'>((resolve) => setImmediate(() => resolve('waiting')))]);
    if (ready === 'waiting' && batch.length > 0) {
      await send();
      continue;
    }
    const item = await next;
    if (item.done || failure) break;
    batch.push(item.value);
    next = iterator.next();
    if (batch.length >= BATCH_RECORDS) await send();
  }
  if (batch.length > 0 && !failure) await send();
  await Promise.all(pending);
  if (failure) throw failure.error;
  return last;
}
