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
