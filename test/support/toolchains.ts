import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const INSTALL_HINT = 'run `bash scripts/ensure-toolchains.sh` (what .ci/run does) to install it';

/** A Go tool installed by `go install` (scripts/ensure-toolchains.sh): $GOBIN, else $(go env GOPATH)/bin. Fails loudly when missing. */
export function goTool(name: string): string {
  const envName = name.toUpperCase().replace(/-/g, '_');
  const override = process.env[envName];
  if (override) return override;
  let dir = process.env.GOBIN;
  if (!dir) {
    try {
      dir = join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin');
    } catch {
      throw new Error(`${name}: Go is not installed; ${INSTALL_HINT}`);
    }
  }
  const path = join(dir, name);
  if (!existsSync(path)) throw new Error(`${name} not found at ${path} (or $${envName}); ${INSTALL_HINT}`);
  return path;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child process whose output is collected; `waitFor` resolves once stdout matches. */
export class Child {
  readonly process: ChildProcess;
  stdout = '';
  stderr = '';
  readonly finished: Promise<Finished>;
  private readonly watchers = new Set<() => void>();

  constructor(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
    this.process = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      for (const watcher of this.watchers) watcher();
    });
    this.process.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.finished = new Promise((resolve) => {
      this.process.on('error', (err) => resolve({ code: -1, signal: null, stdout: this.stdout, stderr: `${this.stderr}${err.message}` }));
      this.process.on('close', (code, signal) => {
        for (const watcher of this.watchers) watcher();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** Resolves once `done(stdout)` holds; rejects if the process ends first or after `timeoutMs`. */
  async waitUntil(done: (stdout: string) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    await this.waitFor({ exec: (stdout: string) => (done(stdout) ? ([stdout] as RegExpExecArray) : null), toString: () => what } as RegExp, timeoutMs);
  }

  /** Resolves with the match once stdout matches; rejects if the process ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      let ended = false;
      void this.finished.then(() => (ended = true));
      const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`)), timeoutMs);
      const check = () => {
        const match = pattern.exec(this.stdout);
        if (match) done(undefined, match);
        else if (ended || this.process.exitCode !== null) done(new Error(`exited before ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      };
      const done = (err?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        this.watchers.delete(check);
        if (err) reject(err);
        else resolve(match!);
      };
      this.watchers.add(check);
      check();
    });
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Finished> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    return this.finished;
  }
}

/** Runs a command to its end. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<Finished> {
  return new Child(command, args, options).finished;
}
