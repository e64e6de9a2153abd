import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkSignals } from '../../src/gateway/linked-signal.ts';

describe('linkSignals', () => {
  it('aborts with the first source that aborts, and then leaves no listener on the others', () => {
    const [a, b] = [new AbortController(), new AbortController()];
    const link = linkSignals([a.signal, b.signal]);
    b.abort('b went');
    expect(link.signal.aborted).toBe(true);
    expect(link.signal.reason).toBe('b went');
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
  });

  it('is aborted at once by a source already aborted; dispose() removes its listeners', () => {
    expect(linkSignals([AbortSignal.abort('gone')]).signal.aborted).toBe(true);
    const source = new AbortController();
    const link = linkSignals([source.signal]);
    expect(getEventListeners(source.signal, 'abort')).toHaveLength(1);
    link.dispose();
    expect(getEventListeners(source.signal, 'abort')).toHaveLength(0);
    source.abort();
    expect(link.signal.aborted).toBe(false);
  });
});
