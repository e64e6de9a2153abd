import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CliError } from './shared.ts';

export interface LineSource {
  /** Number of values when known up front (for a progress bar with an end). */
  total: number | undefined;
  values: AsyncIterable<string>;
}

/** Non-empty lines of a stream (a trailing CR is dropped, so CRLF files work). */
async function* nonEmptyLines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line.length > 0) yield line;
  }
}

async function countLines(path: string): Promise<number> {
  let count = 0;
  for await (const _ of nonEmptyLines(createReadStream(path))) count++;
  return count;
}

/** The values to publish: the argument, else the file's lines, else stdin's lines. */
export async function lineSource(value: string | undefined, file: string | undefined, stdin: NodeJS.ReadStream = process.stdin): Promise<LineSource> {
  if (value !== undefined && file !== undefined) throw new CliError('give either a value or --file, not both');
  if (value !== undefined) {
    return {
      total: 1,
      values: (async function* () {
        yield value;
      })(),
    };
  }
  if (file !== undefined) {
    await access(file).catch(() => {
      throw new CliError(`cannot read ${file}`);
    });
    return { total: await countLines(file), values: nonEmptyLines(createReadStream(file)) };
  }
  if (stdin.isTTY) throw new CliError('nothing to publish: give a value, --file <path>, or pipe lines on stdin');
  return { total: undefined, values: nonEmptyLines(stdin) };
}
