import { InvalidArgumentError, Option, type Command } from 'commander';
import { connect, SluiceClientError, type ConnectOptions, type SluiceClient } from '../client/index.ts';

export const DEFAULT_PORT = 6565;
export const DEFAULT_ADDRESS = `localhost:${DEFAULT_PORT}`;

export const addressOption = () =>
  new Option('-a, --address <host[:port]>', `gateway address (port ${DEFAULT_PORT} when left out)`).default(DEFAULT_ADDRESS).argParser(withDefaultPort);

/** `localhost` → `localhost:6565` (grpc-js would otherwise pick 443); `[::1]` → `[::1]:6565`; a URI scheme is left alone. */
export function withDefaultPort(address: string): string {
  if (/^[a-z][a-z0-9+.-]*:(?!\d+$)/i.test(address) && !address.startsWith('[')) return address;
  if (/^\[.*\]:\d+$/.test(address) || /^[^:[\]]+:\d+$/.test(address)) return address;
  return `${address}:${DEFAULT_PORT}`;
}

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
  return new CliError(explain(err, address));
}

/** grpc-js's own words for a connection that failed or broke, as opposed to an UNAVAILABLE the gateway sent. */
const CONNECTION_FAILURE = /No connection established|Connection dropped|failed to connect|Name resolution failed|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|Received RST_STREAM/i;

/**
 * One readable sentence for a failed call. UNAVAILABLE has two causes a user
 * acts on differently: the gateway cannot be reached (is it running? right
 * address?), or it answered that it cannot serve now (a store is down: retry).
 */
export function explain(err: SluiceClientError, address: string): string {
  if (!err.unavailable) return `${err.operation} failed (${err.codeName}): ${err.details}`;
  if (CONNECTION_FAILURE.test(err.details)) return `cannot reach the gateway at ${address} (${reason(err.details)})`;
  return `the gateway at ${address} is unavailable: ${err.details}`;
}

/** grpc-js's "No connection established. Last error: Error: connect ECONNREFUSED ...": the last error alone. */
function reason(details: string): string {
  const last = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/s.exec(details);
  return (last?.[1] ?? details).trim() || details;
}
