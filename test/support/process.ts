import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/kafka-broker.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface GatewayProcess {
  child: ChildProcess;
  address: string;
  port: number;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Runs `src/main.ts` as a separate process, as `npm start` would, and waits for it to listen. */
export async function spawnGateway(env: Record<string, string>, options: { waitForListening?: boolean; nodeArgs?: string[] } = {}): Promise<GatewayProcess> {
  const port = env.GRPC_PORT ? Number(env.GRPC_PORT) : await freePort();
  // node itself with tsx's loader (not the tsx launcher, which would leave its
  // own child running when killed with SIGKILL).
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const handle = { child, address: `127.0.0.1:${port}`, port, output: () => output, exited };
  if (options.waitForListening !== false) {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.includes('sluice listening')) {
          child.stdout!.off('data', check);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      void exited.then((code) => reject(new Error(`gateway exited (${code}) before listening:\n${output}`)));
      check();
    });
  }
  return handle;
}
