import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import type { ConsumedRecord, SluiceClient } from '../client/index.ts';
import { RETRY_HEADERS, SLUICE_HEADER_PREFIX } from '../retry/headers.ts';
import { resolveGroupId } from '../gateway/group-id.ts';
import { formatRecord, type RecordFormat } from './format.ts';
import { addressOption, CliError, parseCount, withClient, withConnection, type ConnectionFlags } from './shared.ts';

interface DlqFlags extends ConnectionFlags {
  group: string;
  groupVersion: number;
  dlqTopic?: string;
}

/** `sluice dlq list|replay`: a group's dead-letter topic (docs/retry.md). */
export function dlqCommand(): Command {
  const command = new Command('dlq').description("a consumer group's dead-letter topic: list its records, or replay them to their original topic");
  command.addCommand(withConnection(common(listCommand())));
  command.addCommand(withConnection(common(replayCommand())));
  return command;
}

function common(command: Command): Command {
  return command
    .argument('<topic>', 'the topic the group consumes (its dead-letter topic is <topic>.<group>.dlq unless --dlq-topic)')
    .requiredOption('-g, --group <group>', 'consumer group (required)')
    .option('--group-version <n>', 'group version (names the dead-letter topic only through the group name)', parseCount('--group-version'), 0)
    .option('--dlq-topic <name>', 'the dead-letter topic, when DEAD_LETTER_TOPIC is not the default')
    .addOption(addressOption());
}

const deadLetterTopic = (topic: string, flags: DlqFlags) => flags.dlqTopic ?? `${topic}.${resolveGroupId(flags.group, flags.groupVersion).name}.dlq`;
const header = (record: ConsumedRecord, name: string) => record.headers[name]?.toString('utf8') ?? '';

function listCommand(): Command {
  return new Command('list')
    .description('print the dead letters (without moving any group): partition, offset, origin, attempts, reason, key, value')
    .addOption(new Option('--format <format>', 'text: tab-separated; json: one object per line (headers included)').choices(['text', 'json']).default('text'))
    .action(async (topic: string, flags: DlqFlags & { format: RecordFormat }) => {
      await withClient(flags, async (client) => {
        const dlq = deadLetterTopic(topic, flags);
        // A group of its own that never acks: listing moves nobody's position.
        await readToEnd(client, dlq, `sluice-dlq-list-${randomUUID()}`, 'none', (record) => {
          if (flags.format === 'json') return void process.stdout.write(`${formatRecord(record, 'json')}\n`);
          const origin = `${header(record, RETRY_HEADERS.originTopic)}/${header(record, RETRY_HEADERS.originPartition)}@${header(record, RETRY_HEADERS.originOffset)}`;
          const fields = [record.partition, record.offset, origin, header(record, RETRY_HEADERS.attempt), header(record, RETRY_HEADERS.reason), record.key.toString('utf8'), record.value.toString('utf8')];
          process.stdout.write(`${fields.join('\t')}\n`);
        });
      });
    });
}

function replayCommand(): Command {
  return new Command('replay')
    .description('publish the dead letters again to their original topic (key, value, headers without the sluice-* ones); each is replayed once')
    .option('--to <topic>', 'publish to this topic instead of each record\'s original one')
    .option('--replay-group <group>', 'the group whose acked position marks what was replayed (default: <group>.dlq-replay)')
    .action(async (topic: string, flags: DlqFlags & { to?: string; replayGroup?: string }) => {
      await withClient(flags, async (client) => {
        const dlq = deadLetterTopic(topic, flags);
        let replayed = 0;
        await readToEnd(client, dlq, flags.replayGroup ?? `${flags.group}.dlq-replay`, 'after', async (record) => {
          const target = flags.to ?? header(record, RETRY_HEADERS.originTopic);
          if (target === '') throw new CliError(`${dlq} partition ${record.partition} offset ${record.offset} has no ${RETRY_HEADERS.originTopic} header: use --to`);
          const headers = Object.fromEntries(Object.entries(record.headers).filter(([name]) => !name.startsWith(SLUICE_HEADER_PREFIX)));
          await client.publish(target, record.value, { ...(record.key.length > 0 ? { key: record.key } : {}), headers });
          replayed++;
        });
        process.stderr.write(`replayed ${replayed} record${replayed === 1 ? '' : 's'} from ${dlq}\n`);
      });
    });
}

/**
 * Runs `handle` on every record of `topic` that `group` has not acked, up to
 * the end offsets as they were at the start; then closes. A handler error
 * stops it (the record is not acked).
 */
async function readToEnd(client: SluiceClient, topic: string, group: string, ack: 'none' | 'after', handle: (record: ConsumedRecord) => unknown): Promise<void> {
  const ends = await client.getEndOffsets(topic);
  const acked = ack === 'none' ? new Map<number, bigint>() : await client.getOffsets(topic, group);
  const remaining = new Map([...ends].filter(([partition, end]) => (acked.get(partition) ?? -1n) < end));
  if (remaining.size === 0) return;
  const subscription = client.subscribe({ topic, group, ack, ackEvery: { records: 100, ms: 1_000 } });
  await subscription.each(async (record, stream) => {
    await handle(record);
    const end = remaining.get(record.partition);
    if (end !== undefined && record.offset >= end) remaining.delete(record.partition);
    if (remaining.size === 0) {
      stream.markDone();
      void subscription.close();
    }
  });
}
