import { InvalidArgumentError, Option } from 'commander';
import { connect, SluiceClientError, type SluiceClient } from '../client/index.ts';

export const DEFAULT_ADDRESS = 'localhost:6565';

export const addressOption = () => new Option('-a, --address <host:port>', 'gateway address').default(DEFAULT_ADDRESS);

/** A failure the CLI reports as one line, without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function parseCount(name: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

/** Runs `work` with a client to `address`, closing it afterwards; gRPC failures become one-line CliErrors. */
export async function withClient<T>(address: string, work: (client: SluiceClient) => Promise<T>): Promise<T> {
  const client = connect(address);
  try {
    return await work(client);
  } catch (err) {
    throw describe(err, address);
  } finally {
    await client.close();
  }
}

export function describe(err: unknown, address: string): Error {
  if (!(err instanceof SluiceClientError)) return err instanceof Error ? err : new Error(String(err));
  if (err.unavailable) return new CliError(`cannot reach the gateway at ${address} (${reason(err.details)})`);
  return new CliError(`${err.operation} failed (${err.codeName}): ${err.details}`);
}

/** grpc-js's "No connection established. Last error: Error: connect ECONNREFUSED ...": the last error alone. */
function reason(details: string): string {
  const last = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/s.exec(details);
  return (last?.[1] ?? details).trim() || details;
}
