import type { Command } from 'commander';
import { registerCapacityCommand } from './capacity-command.ts';
import { registerDoctorCommand } from './doctor-command.ts';
import { registerDrillCommand } from './drill-command.ts';
import { registerExpectationsCommand } from './expectations-command.ts';
import { registerFleetCommand } from './fleet-command.ts';
import { registerGatewayCommand } from './gateway-command.ts';
import { registerK8sCommand } from './k8s-command.ts';
import { registerReportCommand } from './report-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerToolsCommand } from './tools-command.ts';

/**
 * Each command lives in its own module and exports a register function; this list is the
 * only place that knows them all.
 *
 * Every command is registered on every start, so a command module imports at the top only what
 * its options and help need; what its action does (the run, the fleet, the emulated gateway,
 * the reports) is imported inside the action. Type stripping and loading some hundreds of
 * modules cost every command, `--version` and the smoke gate's run included, a second or more
 * when they were all imported up front (startup-imports.test.ts keeps the heaviest packages out).
 */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerCapacityCommand(program);
  registerDrillCommand(program);
  registerReportCommand(program);
  registerFleetCommand(program);
  registerGatewayCommand(program);
  registerExpectationsCommand(program);
  registerDoctorCommand(program);
  registerToolsCommand(program);
  registerK8sCommand(program);
}
