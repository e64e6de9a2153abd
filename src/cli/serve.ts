import { Command } from 'commander';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the gateway (same as npm start), configured by environment variables (GRPC_PORT, RECORDS_STORE, POSITIONS_STORE, ...)')
    .action(async () => {
      const { main } = await import('../main.ts');
      await main();
    });
}
