import type { Command } from 'commander';
import { registerFleetCommand } from './fleet-command.ts';

/**
 * Each command lives in its own module and exports a register function; this list is the
 * only place that knows them all.
 */
export function registerCommands(program: Command): void {
  registerFleetCommand(program);
}
