import { InvalidArgumentError, Option, type Command } from 'commander';
import { connect, SluiceClientError, type ConnectOptions, type SluiceClient } from '../client/index.ts';

export const DEFAULT_ADDRESS = 'localhost:6565';

export const addressOption = () => new Option('-a, --address <host:port>', 'gateway address').default(DEFAULT_ADDRESS);

/** How the CLI reaches the gateway: address, token and TLS. */
export interface ConnectionFlags {
  address: string;
  token?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** --token (or SLUICE_TOKEN) and the TLS options, added to every command that calls the gateway (beside its --address). */
export function connectionOptions(): Option[] {
  return [
    new Option('--token <token>', 'bearer token (a JWT or an API key) sent as "authorization: Bearer <token>"').env('SLUICE_TOKEN'),
    new Option('--tls', "use TLS (the system's CA roots unless --ca)"),
    new Option('--tls-ca <file>', 'PEM file of the CA that signed the gateway certificate (implies --tls)'),
    new Option('--tls-cert <file>', 'PEM client certificate for mutual TLS (implies --tls; needs --tls-key)'),
    new Option('--tls-key <file>', 'PEM private key of --tls-cert'),
  ];
}

export function connectOptions(flags: ConnectionFlags): ConnectOptions {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together', 2);
  const tls = flags.tls === true || flags.tlsCa !== undefined || flags.tlsCert !== undefined;
  return {
    ...(flags.token === undefined || flags.token === '' ? {} : { token: flags.token }),
    ...(tls ? { tls: { ca: flags.tlsCa, cert: flags.tlsCert, key: flags.tlsKey } } : {}),
  };
}

/** Adds the connection options to a command. */
export function withConnection(command: Command): Command {
  for (const option of connectionOptions()) command.addOption(option);
  return command;
}

/** Opens a client as the flags say. */
export function connectWith(flags: ConnectionFlags): SluiceClient {
  return connect(flags.address, connectOptions(flags));
}

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
export async function withClient<T>(flags: ConnectionFlags, work: (client: SluiceClient) => Promise<T>): Promise<T> {
  const client = connectWith(flags);
  try {
    return await work(client);
  } catch (err) {
    throw describe(err, flags.address);
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
