import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const goExamples = fileURLToPath(new URL('../../examples/go/', import.meta.url));
let built: Promise<unknown> | undefined;

/**
 * Records per second of `count` unary Publish calls, `inFlight` at a time,
 * from examples/go/cmd/publish-load (grpc-go), built on first use.
 */
export async function goPublishRate(address: string, topic: string, count: number, inFlight: number): Promise<number> {
  built ??= run('bash', [`${goExamples}run.sh`, 'build'], { maxBuffer: 16 * 1024 * 1024 }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`cannot build examples/go (Go, protoc and its Go plugins: scripts/ensure-toolchains.sh): ${err.stderr ?? err.message}`);
  });
  await built;
  const { stdout } = await run(`${goExamples}bin/publish-load`, [], {
    env: { ...process.env, SLUICE_ADDRESS: address, SLUICE_TOPIC: topic, SLUICE_COUNT: String(count), SLUICE_IN_FLIGHT: String(inFlight) },
  });
  const result = JSON.parse(stdout) as { perSecond: number };
  return result.perSecond;
}
