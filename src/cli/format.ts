import type { ConsumedRecord } from '../client/index.ts';

export type RecordFormat = 'text' | 'json';

/** text: partition, offset, key, value separated by tabs; json: one object per line. */
export function formatRecord(record: ConsumedRecord, format: RecordFormat): string {
  if (format === 'text') return [record.partition, record.offset, record.key.toString('utf8'), record.value.toString('utf8')].join('\t');
  return JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
    key: record.key.toString('utf8'),
    value: record.value.toString('utf8'),
    headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, v.toString('utf8')])),
    timestamp: record.timestamp?.toISOString() ?? null,
    replay: record.replay,
    ...(record.event ? { event: { ...record.event, data: record.event.data.toString('utf8') } } : {}),
  });
}

/** Left-aligned first column, right-aligned others. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
