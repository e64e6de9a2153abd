import { Command } from 'commander';
import { consumeCommand } from './consume.ts';
import { dlqCommand } from './dlq.ts';
import { offsetsCommand } from './offsets.ts';
import { publishCommand } from './publish.ts';
import { serveCommand } from './serve.ts';
import { CliError, withConnection } from './shared.ts';

/** Usage errors as one line, `sluice: <message>`, with a pointer to --help. */
function oneLineErrors(command: Command): Command {
  return command
    .configureOutput({ outputError: (text, write) => write(`sluice: ${text.replace(/^error: /, '').trimEnd()} (see --help)\n`) })
    .showHelpAfterError(false);
}

export function buildProgram(): Command {
  const program = oneLineErrors(new Command('sluice').description('Sluice: a gRPC streaming gateway in front of Kafka (Liiklus-compatible)'));
  for (const command of [serveCommand(), ...[publishCommand(), consumeCommand(), offsetsCommand()].map(withConnection), dlqCommand()]) {
    program.addCommand(oneLineErrors(command));
    for (const subcommand of command.commands) oneLineErrors(subcommand);
  }
  return program;
}

/** Runs the CLI; on failure prints `sluice: <message>` to stderr and sets a non-zero exit code. */
export async function run(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`sluice: ${message.split('\n')[0]}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}
