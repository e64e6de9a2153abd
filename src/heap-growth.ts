import v8 from 'node:v8';

const FLAG = '--heap-growing-percent';

/**
 * The V8 flag that fixes how far the old generation may grow past what a
 * full collection left live before the next one, or undefined: 0 keeps V8's
 * own choice, and so does a process started with the flag (its operator's
 * choice wins).
 *
 * Why: V8 picks the growth from how fast JavaScript allocates on its heap,
 * but counts buffers (fetch responses, reply buffers: external memory)
 * against the same limit. The gateway allocates little on the heap and
 * hundreds of MB/s in buffers, so once a quiet spell made V8 choose its
 * smallest growth (1.1× a 30 MB heap), every 8 MB or so of buffers set off a
 * full collection: 12 to 20 per 400 MB read, 1.7 to 2.1 times the gateway's
 * CPU per record of 1 KiB (docs/benchmarks.md#v8s-heap-growth). V8's own
 * largest growth, 4×, held throughout keeps that to about one.
 */
export function heapGrowthFlag(percent: number, execArgv: readonly string[]): string | undefined {
  if (percent === 0) return undefined;
  if (execArgv.some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`))) return undefined;
  return `${FLAG}=${percent}`;
}

/** Sets the flag heapGrowthFlag() gives for this process (V8 reads it at every full collection); returns it. */
export function applyHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv): string | undefined {
  const flag = heapGrowthFlag(percent, execArgv);
  if (flag !== undefined) v8.setFlagsFromString(flag);
  return flag;
}
