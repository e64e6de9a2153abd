import { SingleBar } from 'cli-progress';

/** Counts published records; draws a bar on stderr only when it is a terminal. */
export class Progress {
  private readonly bar: SingleBar | undefined;
  private readonly started = process.hrtime.bigint();
  private done = 0;

  constructor(total: number | undefined, stream: NodeJS.WriteStream = process.stderr) {
    if (!stream.isTTY) return;
    const format = total === undefined ? 'publishing {value} records | {rate} rec/s' : 'publishing [{bar}] {percentage}% | {value}/{total} | {rate} rec/s | ETA {eta_formatted}';
    this.bar = new SingleBar({ format, stream, hideCursor: true, clearOnComplete: true, fps: 10 });
    this.bar.start(total ?? 0, 0, { rate: 0 });
  }

  tick(): void {
    this.done++;
    this.bar?.update(this.done, { rate: Math.round(this.done / Math.max(this.elapsedSeconds(), 1e-3)) });
  }

  get count(): number {
    return this.done;
  }

  elapsedSeconds(): number {
    return Number(process.hrtime.bigint() - this.started) / 1e9;
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** "published 10000 records in 2.1 s (4761 rec/s)" */
export function summaryLine(count: number, seconds: number): string {
  const rate = Math.round(count / Math.max(seconds, 1e-3));
  return `published ${count} record${count === 1 ? '' : 's'} in ${seconds.toFixed(seconds < 1 ? 2 : 1)} s (${rate} rec/s)`;
}
