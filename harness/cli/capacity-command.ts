import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkCapacityFlags, CapacityInputError, type CapacityFlags } from '../capacity/capacity-options.ts';
import { concludeCapacity, stepTable } from '../capacity/capacity-report.ts';
import { runCapacity, writeCapacityJournal } from '../capacity/capacity-run.ts';
import { defaultDroppedTolerance } from '../capacity/judge-step.ts';
import { checkOutputFolder } from '../run/output-paths.ts';
import { parseNumberOption } from './option-parsers.ts';

/**
 * `spillway capacity`: the sustainable request rate of the embedded gateway (its capacity model
 * enabled), per unit, and the units a peak needs (docs/capacity.md).
 */
export function registerCapacityCommand(program: Command): void {
  const rate = (flag: string) => parseNumberOption(flag, { min: 0 });
  program
    .command('capacity')
    .description('find the gateway\'s sustainable request rate per unit (the knee) and recommend units for a peak; embedded default only (docs/capacity.md)')
    .option('--units <n>', 'gateway units the emulator runs with (default 1); needed with --peak-rps', parseNumberOption('--units', { integer: true, min: 1, max: 30 }))
    .option('--peak-rps <r>', 'the peak to recommend units for, requests per second', parseNumberOption('--peak-rps', {}))
    .option('--headroom <h>', 'share of capacity kept free at peak, 0-1 (default 0.3: APIM scales out past 60-70% use)', parseNumberOption('--headroom', {}))
    .option('--slo-p95-ms <ms>', 'a step passes while its p95 latency is within this (default 1000)', parseNumberOption('--slo-p95-ms', {}))
    .option('--error-budget <e>', 'a step passes while its share of failed requests (timeouts, dropped connections, 5xx) is within this (default 0.01)', parseNumberOption('--error-budget', {}))
    .option('--min-rps-per-unit <f>', 'exit 1 when the capacity per unit is below this (for CI)', parseNumberOption('--min-rps-per-unit', {}))
    .option('--start-rps <r>', 'first step of the ramp (default 50)', rate('--start-rps'))
    .option('--step-rps <r>', 'increase per step of the ramp (default 50)', rate('--step-rps'))
    .option('--max-rps <r>', 'last step of the ramp (default 400)', rate('--max-rps'))
    .option('--hold-seconds <s>', 'how long each step is held (default 10)', parseNumberOption('--hold-seconds', { min: 1, max: 600 }))
    .option('--settle-seconds <s>', 'the start of each step left out of its window (default 3)', parseNumberOption('--settle-seconds', { min: 0 }))
    .option('--config <dir>', 'APIOps folder of the embedded gateway (default deploy/apim); a working copy gets the capacity model and the light profile')
    .option('--results <dir>', 'where the run folder goes (default results)')
    .action(async (options: CapacityFlags & { config?: string; results?: string }) => {
      const settings = checkCapacityFlags(options);
      const configDir = options.config !== undefined ? resolve(options.config) : undefined;
      if (configDir !== undefined && !statSync(configDir, { throwIfNoEntry: false })?.isDirectory()) throw new CapacityInputError(`--config ${configDir}: not a folder`);
      checkOutputFolder(options.results ?? 'results', '--results');
      const runDir = join(resolve(options.results ?? 'results'), `${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-capacity`);
      const say = (line: string): void => void process.stdout.write(`${line}\n`);
      const result = await runCapacity({
        ...settings,
        ...(configDir !== undefined ? { configDir } : {}),
        resolution: 0.05,
        criteria: { sloP95Ms: settings.sloP95Ms, errorBudget: settings.errorBudget, droppedTolerance: defaultDroppedTolerance },
        backendLimits: { max429Share: 0.001, maxP95Ms: Math.max(50, settings.sloP95Ms / 4) },
        runDir,
        say,
      });
      const conclusion = concludeCapacity(result.knee, settings);
      say('');
      for (const line of stepTable(result.steps)) say(line);
      say('');
      say(`emulated capacity: ${result.emulated.units} unit(s) × ${result.emulated.requestsPerSecondPerUnit} req/s (queue ${result.emulated.queueLength}, timeout ${result.emulated.queueTimeoutSeconds} s)`);
      say(conclusion.rpsPerUnit !== null ? `requests per second per unit: ${conclusion.rpsPerUnit.toFixed(1)}` : 'requests per second per unit: not known from this run');
      for (const line of conclusion.lines) say(line);
      const journalFile = join(runDir, 'capacity-journal.json');
      writeCapacityJournal(journalFile, { kind: 'capacity', settings, emulated: result.emulated, profile: 'light', steps: result.steps, unconfirmedSteps: result.unconfirmed, knee: result.knee, conclusion });
      say(`journal: ${journalFile}`);
      process.exitCode = conclusion.exitCode;
    });
}
