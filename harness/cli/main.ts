import { Command } from 'commander';
import { registerCommands } from './commands.ts';

const program = new Command();
program
  .name('spillway')
  .description('Load-test and chaos verification harness for Azure API Management AI gateways')
  .showHelpAfterError();
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A command that throws a UserFacingError has already phrased its message for a person;
  // anything else is a harness bug, shown with its stack.
  const message = error instanceof Error ? (error.name === 'UserFacingError' ? error.message : error.stack) : String(error);
  process.stderr.write(`spillway: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 2;
}
