import type { Command } from 'commander';
import { sampleConfigDir } from './gateway-command.ts';

/**
 * `spillway expectations`: the expectations an APIOps folder implies, printed as the JSON that
 * `spillway run --expectations <file>` takes (harness/verify/expectations-file.ts). It lets a
 * user hold a gateway Spillway cannot read (nginx, Envoy, a portal-managed APIM) to another
 * gateway's configuration, or start from that and edit it (docs/expectations.md).
 *
 * Everything is checked before anything is printed, so stdout holds either the whole JSON or
 * nothing: a redirect to a file never leaves half a document behind.
 */

/** The deployment Spillway's scenarios call. */
export const defaultDeployment = 'gpt-4o';

export function registerExpectationsCommand(program: Command): void {
  program
    .command('expectations')
    .description('print the expectations an APIOps folder implies, as the JSON `spillway run --expectations <file>` takes (docs/expectations.md)')
    .option('--config <dir>', 'APIOps artifact folder with emulator.json (the APIM configuration to hold a gateway to)', sampleConfigDir)
    .option('--fleet <file>', 'the fleet the gateway sends to: a file holding the line `spillway fleet up --json` printed')
    .option('--topology <file>', 'the fleet the gateway sends to, as a topology file (default: the default topology)')
    .option('--k6-config <file>', 'consumer classes and their budgets (default: k6.config.json)')
    .option('--deployment <name>', 'the deployment the scenarios call: only backends hosting it are expected to serve', defaultDeployment)
    .action(async (options: { config: string; fleet?: string; topology?: string; k6Config?: string; deployment: string }) => {
      // Loaded when the command runs, not when the command line is parsed (commands.ts says why).
      const { deriveExpectations } = await import('./derive-expectations.ts');
      const { expectations, notes } = deriveExpectations(options);
      for (const note of notes) process.stderr.write(`spillway: ${note}\n`);
      process.stdout.write(`${JSON.stringify(expectations, null, 2)}\n`);
    });
}
