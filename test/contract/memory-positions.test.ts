import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { plugin } from '../../plugins/memory-positions/index.ts';
import { describePositionsStore } from './positions.ts';

describePositionsStore('memory', () => plugin.create({ config: {}, logger: pino({ level: 'silent' }) }));

describe('memory positions plugin', () => {
  it('warns loudly that positions are not durable', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const store = await plugin.create({ config: {}, logger });
    await store.close();
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((entry) => entry.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/NOT durable/);
  });
});
