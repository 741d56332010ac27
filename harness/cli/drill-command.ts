import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultK6ConfigFile } from '../run/run-scenario.ts';
import { guardRunAgainstCrashes } from '../run/harness-crash.ts';
import { defaultDrillsDir, drillFileByName, drillFiles, loadDrills } from '../drill/drill-catalog.ts';
import { DrillFileError, type Drill } from '../drill/drill-file.ts';
import type { DrillJournal } from '../drill/drill-journal.ts';
import { runDrill } from '../drill/run-drill.ts';
import { exitCodesHelp } from './exit-codes.ts';
import { parseNumberOption } from './option-parsers.ts';
import { onStopSignal } from './stop-signals.ts';
import { checkOutputFolder } from '../run/output-paths.ts';

/**
 * `spillway drill <name>`, `--all` (a quarterly drill day: every drill in drills/, in order, then
 * a summary) and `--list`. Every drill file is read and checked before the first starts; a
 * stop signal or a crash ends the drill under way (its rollbacks run, its journal says
 * interrupted) and runs no further drill. Exit code: the worst drill's, as `spillway run`'s
 * (2 for a harness failure over 1 for a deviation over 3 for inconclusive over 0).
 */
export function registerDrillCommand(program: Command): void {
  program
    .command('drill')
    .argument('[name]', 'a drill of the drills folder (see --list)')
    .description('drill an operational playbook event: steady-state hypothesis before and after, the method (load and faults), the verifiers, the detection queries, rollbacks')
    .option('--all', 'run every drill of the drills folder, in name order, and summarize')
    .option('--list', 'list the drills and the playbook event each drills')
    .option('--drills <dir>', 'the folder of <name>.drill.json files (default: drills/)')
    .option('--k6-config <file>', 'where the consumer classes (and scenarios a drill names) come from (default: k6.config.json)')
    .option('--config <dir>', 'APIOps folder of the emulated gateway (default: deploy/apim)')
    .option('--expectations-config <dir>', 'hold the gateway to another APIOps folder (typically the last approved one) instead of the --config it runs')
    .option('--results <dir>', 'where drill folders go (under <dir>/drills/)', 'results')
    .option('--seed <n>', 'seed for the fleet and the gateways', parseNumberOption('--seed', { integer: true }))
    .addHelpText('after', `\n${exitCodesHelp}\n  A drill's own status is in drill-journal.json: completed (0), deviated (1), aborted or interrupted (2), inconclusive (3).`)
    .action(async (name: string | undefined, options: { all?: boolean; list?: boolean; drills?: string; k6Config?: string; config?: string; expectationsConfig?: string; results: string; seed?: number }) => {
      const chosen = [name !== undefined, options.all === true, options.list === true].filter(Boolean).length;
      if (chosen !== 1) throw new DrillFileError('give one of: a drill name, --all, --list');
      const drillsDir = options.drills ?? defaultDrillsDir;
      const k6ConfigFile = resolve(options.k6Config ?? defaultK6ConfigFile);
      // Every file checked before anything starts: one bad file refuses the day, naming it.
      const drills = loadDrills(name !== undefined ? [drillFileByName(name, drillsDir)] : drillFiles(drillsDir), k6ConfigFile);
      if (options.list) {
        // Columns as wide as their longest entry, so a long name or event never runs into the next.
        const nameWidth = Math.max(...drills.map((d) => d.name.length));
        const eventWidth = Math.max(...drills.map((d) => d.spec.playbookEvent.length));
        for (const drill of drills) process.stdout.write(`${drill.name.padEnd(nameWidth)}  ${drill.spec.playbookEvent.padEnd(eventWidth)}  ${drill.spec.title}\n`);
        return;
      }
      checkOutputFolder(options.results, '--results');
      // A folder that names nothing is a usage error, refused with nothing created, as `spillway run` does.
      for (const [flag, dir] of [['--config', options.config], ['--expectations-config', options.expectationsConfig]] as const) {
        if (dir !== undefined && !statSync(resolve(dir), { throwIfNoEntry: false })?.isDirectory()) throw new DrillFileError(`${flag} ${resolve(dir)}: not a folder`);
      }
      const abort = new AbortController();
      onStopSignal((signal) => {
        if (abort.signal.aborted) return;
        process.stderr.write(`\nspillway: ${signal}: stopping the drill (k6, the fault timeline, the topology), then its rollbacks...\n`);
        abort.abort();
      });
      guardRunAgainstCrashes(abort);
      const results: DrillJournal[] = [];
      for (const drill of drills) {
        if (abort.signal.aborted) break;
        const { journal, journalFile } = await runOne(drill, options, abort.signal);
        results.push(journal);
        process.stdout.write(`${describe(journal)}\n  journal: ${journalFile}\n\n`);
      }
      if (drills.length > 1) {
        process.stdout.write(`drill summary (${results.length} of ${drills.length} run):\n`);
        for (const j of results) process.stdout.write(`  ${j.status.padEnd(12)} ${j.drill}\n`);
        for (const d of drills.slice(results.length)) process.stdout.write(`  ${'not run'.padEnd(12)} ${d.name}\n`);
      }
      process.exitCode = worstExitCode(results.map((j) => j.exitCode), results.length < drills.length);
    });
}

function runOne(drill: Drill, options: { config?: string; expectationsConfig?: string; results: string; seed?: number }, signal: AbortSignal) {
  return runDrill(drill, {
    resultsDir: resolve(options.results),
    ...(options.config ? { gatewayConfigDir: options.config } : {}),
    ...(options.expectationsConfig ? { expectationsConfigDir: options.expectationsConfig } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    signal,
    progress: (line) => process.stdout.write(`${line}\n`),
  });
}

function describe(journal: DrillJournal): string {
  const lines = [`drill ${journal.drill}: ${journal.status}`];
  const checks = [...journal.hypothesis.before, ...journal.hypothesis.after, ...journal.hypothesis.method, ...journal.detection];
  for (const c of checks) lines.push(`  ${c.status.padEnd(12)} ${c.kind === 'detection' ? 'detection' : `${c.kind} probe (${c.phase})`}: ${c.name}: ${c.measured}`);
  for (const v of journal.verdicts) lines.push(`  ${(v.status === 'pass' ? 'held' : v.status === 'fail' ? 'deviated' : 'inconclusive').padEnd(12)} verdict ${v.check}: ${v.measured}`);
  for (const r of journal.rollbacks) lines.push(`  rollback ${r.status.padEnd(10)} ${r.what}: ${r.detail}`);
  if (journal.problem) lines.push(`  problem: ${journal.problem}`);
  return lines.join('\n');
}

/** 2 over 1 over 3 over 0: a harness failure says the most, then a deviation, then missing evidence. */
export function worstExitCode(codes: readonly number[], incomplete: boolean): number {
  if (incomplete || codes.includes(2)) return 2;
  if (codes.includes(1)) return 1;
  if (codes.includes(3) || codes.length === 0) return 3;
  return 0;
}
