import { randomUUID } from 'node:crypto';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import type { Envelope, PartitionSource, StoredRecord } from '../../src/contracts/index.ts';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array | null): string | null => (data === null ? null : new TextDecoder().decode(data));

export function envelope(topic: string, value: string, key: string | null = null, headers: Record<string, string> = {}): Envelope {
  return {
    topic,
    key: key === null ? null : bytes(key),
    value: bytes(value),
    event: null,
    headers: new Map(Object.entries(headers).map(([k, v]) => [k, bytes(v)])),
  };
}

/** Pulls exactly `count` records, or throws after `timeoutMs`. */
export async function take(source: PartitionSource, count: number, timeoutMs = 20_000): Promise<StoredRecord[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const out: StoredRecord[] = [];
  try {
    if (count === 0) return out;
    for await (const record of source.records(controller.signal)) {
      out.push(record);
      if (out.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (out.length < count) throw new Error(`partition ${source.partition}: got ${out.length} of ${count} records within ${timeoutMs} ms`);
  return out;
}

/** Waits for the first assignment set that satisfies `predicate`. */
export function assignmentWhere(
  assignments: Observable<readonly PartitionSource[]>,
  predicate: (sources: readonly PartitionSource[]) => boolean,
): Promise<readonly PartitionSource[]> {
  return firstValueFrom(assignments.pipe(filter(predicate)));
}
