import { Command } from 'commander';
import { formatTable } from './format.ts';
import { addressOption, parseCount, withClient, type ConnectionFlags } from './shared.ts';

interface OffsetsFlags extends ConnectionFlags {
  group: string;
  groupVersion: number;
}

export interface LagRow {
  partition: number;
  acked: bigint | undefined;
  end: bigint | undefined;
  lag: bigint;
}

/**
 * Lag per partition: records after the acked position up to the end offset.
 * Without an ack, every record counts (from offset 0: a topic whose oldest
 * records were deleted by retention shows more lag than there are records).
 */
export function lagRows(acked: ReadonlyMap<number, bigint>, end: ReadonlyMap<number, bigint>): LagRow[] {
  const partitions = [...new Set([...acked.keys(), ...end.keys()])].sort((a, b) => a - b);
  return partitions.map((partition) => {
    const a = acked.get(partition);
    const e = end.get(partition);
    const behind = e === undefined ? 0n : e - (a ?? -1n);
    return { partition, acked: a, end: e, lag: behind > 0n ? behind : 0n };
  });
}

export function offsetsCommand(): Command {
  return new Command('offsets')
    .description("show a group's acked position, the end offset and the lag of each partition")
    .argument('<topic>', 'topic')
    .requiredOption('-g, --group <group>', 'consumer group (required)')
    .option('--group-version <n>', 'group version', parseCount('--group-version'), 0)
    .addOption(addressOption())
    .action(async (topic: string, flags: OffsetsFlags) => {
      const [acked, end] = await withClient(flags, (client) =>
        Promise.all([client.getOffsets(topic, flags.group, flags.groupVersion), client.getEndOffsets(topic)]),
      );
      const rows = lagRows(acked, end);
      const show = (v: bigint | undefined) => (v === undefined ? '-' : v.toString());
      const total = rows.reduce((sum, r) => sum + r.lag, 0n);
      const table = formatTable(
        ['partition', 'acked', 'end', 'lag'],
        [...rows.map((r) => [String(r.partition), show(r.acked), show(r.end), r.lag.toString()]), ['total', '', '', total.toString()]],
      );
      process.stdout.write(`${table}\n`);
    });
}
