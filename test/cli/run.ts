import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from '../support/process.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) what a failed test left running. */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Starts `node bin/sluice.mjs <args>` as a user would run it. */
export function startCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, ['bin/sluice.mjs', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  running.add(child);
  child.on('exit', () => running.delete(child));
  if (options.input !== undefined) child.stdin!.end(options.input);
  const result = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, result };
}

export function runCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Output lines without the trailing empty one. */
export const lines = (text: string): string[] => text.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '');
