import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Drill } from '../drill/drill-file.ts';
import type { DrillJournal } from '../drill/drill-journal.ts';
import type { runDrill } from '../drill/run-drill.ts';
import { exitCodesHelp } from './exit-codes.ts';
import { parseNumberOption } from './option-parsers.ts';
import { onStopSignal } from './stop-signals.ts';
import type { DrillTargetOptions } from '../drill/drill-targets.ts';
import { parseRuntime, type Runtime } from '../containers/container-runtime.ts';
import type { ProgressReporter } from '../progress/progress-reporter.ts';

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
    .option('--gateway-url <url>', 'drill a gateway (or front door) at this URL instead of the embedded default; keys from the environment. Drills with kql probes or detection queries need its rows: refused (use --target)')
    .option('--target <file>', 'drill a real API Management: its URLs, key variables, Log Analytics workspace (where the kql probes and detection queries go) and fleet, as a target file (docs/real-apim.md)')
    .option('--fleet <file>', "with --gateway-url: attach to the fleet behind it, the JSON line `spillway fleet up --json` printed")
    .option('--port-base <n>', 'with --gateway-url: start the fleet behind it, resource i on port n+i', parseNumberOption('--port-base', { integer: true, min: 1, max: 65000 }))
    .option('--topology <file>', 'with --port-base: the fleet topology to start')
    .option('--allow-remote <host>', 'with a --gateway-url that is not loopback: the host load may go to, named explicitly')
    .option('--max-rate <requests/s>', 'a cap on the total request rate; required with --allow-remote', parseNumberOption('--max-rate', { min: 0.001 }))
    .option('--health-path <path>', "with --gateway-url: the path the gateway answers 200 on when up, or 'none'")
    .option('--runtime <process|container>', 'where k6 and Toxiproxy run: processes (default) or containers (docs/containers.md); refused without a container engine', (value: string) => parseRuntime(value))
    .option('--quiet', 'print only the result: no progress (each drill\'s outcome and the summary)')
    .addHelpText('after', `\n${exitCodesHelp}\n  A drill's own status is in drill-journal.json: completed (0), deviated (1), aborted or interrupted (2), inconclusive (3).`)
    .action(async (name: string | undefined, options: DrillCommandOptions) => {
      // Loaded when a drill (or the list) is asked for, not when the command line is parsed
      // (commands.ts says why).
      const [
        { defaultK6ConfigFile },
        { guardRunAgainstCrashes },
        { defaultDrillsDir, drillFileByName, drillFiles, loadDrills },
        { DrillFileError },
        { runDrill },
        { appendStepSummary },
        { checkOutputFolder },
        { checkDrillOnTarget },
        { requireContainerEngine },
        { commandProgress },
      ] = await Promise.all([
        import('../run/run-scenario.ts'),
        import('../run/harness-crash.ts'),
        import('../drill/drill-catalog.ts'),
        import('../drill/drill-file.ts'),
        import('../drill/run-drill.ts'),
        import('../../reports/render-outputs.ts'),
        import('../run/output-paths.ts'),
        import('../drill/drill-targets.ts'),
        import('../containers/container-engine.ts'),
        import('../progress/command-progress.ts'),
      ]);
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
      // The target flags as `spillway run` checks them, and what each drill needs of the target:
      // refused for the whole day before the first drill starts.
      for (const drill of drills) checkDrillOnTarget(drill, { resultsDir: resolve(options.results), ...commandTarget(options), ...(options.config ? { gatewayConfigDir: options.config } : {}), ...(options.expectationsConfig ? { expectationsConfigDir: options.expectationsConfig } : {}) });
      if (options.runtime === 'container') await requireContainerEngine('--runtime container');
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
        // A display per drill, closed before its outcome is printed (harness/progress).
        const progress = commandProgress({ quiet: options.quiet === true, stream: process.stdout });
        progress.emit({ type: 'drill', at: Date.now(), name: drill.name, index: results.length + 1, of: drills.length });
        const { journal, journalFile } = await runOne(runDrill, drill, options, abort.signal, progress).finally(() => progress.close());
        results.push(journal);
        process.stdout.write(`${describe(journal)}\n  journal: ${journalFile}\n\n`);
        // Each drill's report.md to GitHub's step summary, when $GITHUB_STEP_SUMMARY is set (docs/report-command.md).
        appendStepSummary(dirname(journalFile), (line) => void process.stderr.write(`${line}\n`));
      }
      if (drills.length > 1) {
        process.stdout.write(`drill summary (${results.length} of ${drills.length} run):\n`);
        for (const j of results) process.stdout.write(`  ${j.status.padEnd(12)} ${j.drill}\n`);
        for (const d of drills.slice(results.length)) process.stdout.write(`  ${'not run'.padEnd(12)} ${d.name}\n`);
      }
      process.exitCode = worstExitCode(results.map((j) => j.exitCode), results.length < drills.length);
    });
}

interface DrillCommandOptions {
  all?: boolean;
  list?: boolean;
  drills?: string;
  k6Config?: string;
  config?: string;
  expectationsConfig?: string;
  results: string;
  seed?: number;
  quiet?: boolean;
  gatewayUrl?: string;
  target?: string;
  fleet?: string;
  portBase?: number;
  topology?: string;
  allowRemote?: string;
  maxRate?: number;
  healthPath?: string;
  runtime?: Runtime;
}

/** The target flags, named as the drill (and the run) take them. */
function commandTarget(options: DrillCommandOptions): DrillTargetOptions {
  return {
    ...(options.gatewayUrl !== undefined ? { gatewayUrl: options.gatewayUrl } : {}),
    ...(options.target !== undefined ? { targetFile: options.target } : {}),
    ...(options.fleet !== undefined ? { fleetFile: options.fleet } : {}),
    ...(options.portBase !== undefined ? { portBase: options.portBase } : {}),
    ...(options.topology !== undefined ? { topologyFile: options.topology } : {}),
    ...(options.allowRemote !== undefined ? { allowRemoteHost: options.allowRemote } : {}),
    ...(options.maxRate !== undefined ? { maxRate: options.maxRate } : {}),
    ...(options.healthPath !== undefined ? { healthPath: options.healthPath } : {}),
    ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
  };
}

function runOne(run: typeof runDrill, drill: Drill, options: DrillCommandOptions, signal: AbortSignal, progress: ProgressReporter) {
  return run(drill, {
    resultsDir: resolve(options.results),
    ...commandTarget(options),
    ...(options.config ? { gatewayConfigDir: options.config } : {}),
    ...(options.expectationsConfig ? { expectationsConfigDir: options.expectationsConfig } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    signal,
    progress,
  });
}

function describe(journal: DrillJournal): string {
  const lines = [`drill ${journal.drill}: ${journal.status}`];
  if (journal.beforeGate?.method === 'not-run') lines.push(`  method not run: the steady state did not hold at ${journal.beforeGate.atSeconds} s, before the first fault (${journal.beforeGate.faultsApplied} fault(s) applied; the load was stopped)`);
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
