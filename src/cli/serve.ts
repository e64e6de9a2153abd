import { Command } from 'commander';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the gateway (as npm start); configured by environment variables, see DESIGN.md section 4')
    .action(async () => {
      const { main } = await import('../main.ts');
      await main();
    });
}
