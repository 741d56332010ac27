import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CapacityFlags } from '../capacity/capacity-options.ts';
import type { CapacityTargetFlags } from '../capacity/capacity-run.ts';
import { parseNumberOption } from './option-parsers.ts';
import { onStopSignal } from './stop-signals.ts';
import { parseRuntime } from '../containers/container-runtime.ts';

/**
 * `spillway capacity`: the sustainable request rate of a gateway (the embedded emulator with its
 * capacity model, a gateway at a URL, or a real APIM), per unit, and the units a peak needs
 * (docs/capacity.md). Bad input is refused with nothing created (exit 2); once the run folder
 * exists, the journal is written whatever happens.
 */
export const capacityJournalSchemaVersion = 1;

export function registerCapacityCommand(program: Command): void {
  const rate = (flag: string) => parseNumberOption(flag, { min: 0 });
  program
    .command('capacity')
    .description("find the gateway's sustainable request rate per unit (the knee) and recommend units for a peak (docs/capacity.md)")
    .option('--profile <name>', 'light (plain pass-through) or heavy (the sample\'s AI policies): the API measured (default light)')
    .option('--units <n>', 'gateway units the gateway runs with (the embedded emulator is given them); needed with --peak-rps', parseNumberOption('--units', { integer: true, min: 1, max: 30 }))
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
    .option('--confirm-seconds <s>', 'how long the knee is held to confirm it lasts; 0: not confirmed (default 3 × --hold-seconds)', parseNumberOption('--confirm-seconds', { min: 0, max: 3600 }))
    .option('--max-vus <n>', "cap k6's VUs per step (default: sized from each rate); a cap too low is reported as generator saturation", parseNumberOption('--max-vus', { integer: true, min: 1 }))
    .option('--load-generators <n>', 'k6 processes per step, each its execution segment; merged before judging (default 1, at most the cores)', parseNumberOption('--load-generators', { integer: true, min: 1 }))
    .option('--oversubscribe-generators', 'allow more load generators than cores')
    .option('--config <dir>', 'APIOps folder of the embedded gateway (default deploy/apim); a working copy gets the capacity model')
    .option('--gateway-url <url>', 'measure a gateway at a URL instead (it must serve the profile\'s API), with --fleet or --port-base')
    .option('--fleet <file>', 'with --gateway-url: attach to this fleet (`spillway fleet up --json`)')
    .option('--port-base <n>', 'with --gateway-url: start the fleet, resource i on port n + i', parseNumberOption('--port-base', { integer: true, min: 1, max: 65535 }))
    .option('--topology <file>', 'with --port-base: the fleet to start')
    .option('--target <file>', 'measure a real API Management described by a target file (docs/real-apim.md)')
    .option('--health-path <path>', "the gateway's health check path, or none")
    .option('--allow-remote <host>', 'allow load toward this host (not loopback); needs --max-rate')
    .option('--max-rate <r>', 'a cap the run will not exceed; --max-rps must be within it', rate('--max-rate'))
    .option('--runtime <process|container>', 'where k6 runs: processes (default) or containers through testcontainers, images built locally (docs/containers.md); refused without a container engine', (value: string) => parseRuntime(value))
    .option('--results <dir>', 'where the run folder goes (default results)')
    .option('--quiet', 'print only the result: no progress (the step table and the conclusion)')
    .action(async (flags: CapacityFlags & CapacityTargetFlags & { results?: string; quiet?: boolean }) => {
      // Loaded when a capacity run starts, not when the command line is parsed (commands.ts says why).
      const [
        { capacityProfiles },
        { checkCapacityFlags },
        { concludeCapacity, stepTable },
        { busiestMetric, checkCapacityInvocation, runCapacity, writeCapacityJournal },
        { defaultDroppedTolerance },
        { compareWithReference, referenceLines },
        { guardRunAgainstCrashes },
        { defaultK6ConfigFile },
        { loadK6Config },
        { requireContainerEngine },
        { commandProgress },
        { appendStepSummary, describeReportFailure, writeRunReports },
      ] = await Promise.all([
        import('../capacity/capacity-gateway-config.ts'),
        import('../capacity/capacity-options.ts'),
        import('../capacity/capacity-report.ts'),
        import('../capacity/capacity-run.ts'),
        import('../capacity/judge-step.ts'),
        import('../capacity/reference-figures.ts'),
        import('../run/harness-crash.ts'),
        import('../run/run-input.ts'),
        import('../run/scenario-plan.ts'),
        import('../containers/container-engine.ts'),
        import('../progress/command-progress.ts'),
        import('../../reports/render-outputs.ts'),
      ]);
      const settings = checkCapacityFlags(flags);
      const where: CapacityTargetFlags = {
        ...(flags.config !== undefined ? { config: flags.config } : {}),
        ...(flags.gatewayUrl !== undefined ? { gatewayUrl: flags.gatewayUrl } : {}),
        ...(flags.fleet !== undefined ? { fleet: flags.fleet } : {}),
        ...(flags.portBase !== undefined ? { portBase: flags.portBase } : {}),
        ...(flags.topology !== undefined ? { topology: flags.topology } : {}),
        ...(flags.target !== undefined ? { target: flags.target } : {}),
        ...(flags.healthPath !== undefined ? { healthPath: flags.healthPath } : {}),
        ...(flags.allowRemote !== undefined ? { allowRemote: flags.allowRemote } : {}),
        ...(flags.maxRate !== undefined ? { maxRate: flags.maxRate } : {}),
        ...(flags.runtime !== undefined ? { runtime: flags.runtime } : {}),
      };
      const resultsDir = resolve(flags.results ?? 'results');
      // Usage errors stop here, with nothing created.
      const checked = checkCapacityInvocation(settings, where, resultsDir);
      if (where.runtime === 'container') await requireContainerEngine('--runtime container');
      const runDir = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-capacity`);
      const say = (line: string): void => void process.stdout.write(`${line}\n`);
      const abort = new AbortController();
      onStopSignal((signal) => {
        if (abort.signal.aborted) return;
        process.stderr.write(`\nspillway: ${signal}: stopping the capacity run (k6 and the target)...\n`);
        abort.abort();
      });
      guardRunAgainstCrashes(abort);
      // The steps as they run go to the progress display (harness/progress); the result to stdout.
      const progress = commandProgress({ quiet: flags.quiet === true, stream: process.stdout });
      progress(`profile ${settings.profile}: ${capacityProfiles[settings.profile].description}`);
      const startedAt = new Date();
      const result = await runCapacity(
        {
          settings,
          where,
          resolution: 0.05,
          criteria: { sloP95Ms: settings.sloP95Ms, errorBudget: settings.errorBudget, droppedTolerance: defaultDroppedTolerance },
          backendLimits: { max429Share: 0.001, maxP95Ms: Math.max(50, settings.sloP95Ms / 4) },
          runDir,
          say: progress,
          signal: abort.signal,
        },
        checked,
      ).finally(() => progress.close());
      const problem = result.problem ?? (abort.signal.aborted ? 'interrupted' : null);
      const conclusion = concludeCapacity(result.knee, settings, { kneeConfirmed: result.kneeConfirmed, problem });
      const measured = conclusion.rpsPerUnit ?? conclusion.atLeastRpsPerUnit;
      const reference = compareWithReference(loadK6Config(defaultK6ConfigFile).capacityReference, settings.profile, measured);
      say('');
      for (const line of stepTable([...result.steps, ...result.holds].map((s) => ({ ...s, utilisation: busiestMetric(s.utilisation) })))) say(line);
      // On the embedded default the gateway shares the machine with k6: a machine busy with
      // anything else slows the emulator too, so its figures say more about the machine.
      const busySteps = [...result.steps, ...result.holds].filter((s) => (s.cpu.machineBusy ?? 0) >= 0.95);
      if (busySteps.length > 0) say(`warning: the machine was at least 95% busy during ${busySteps.length} of ${result.steps.length + result.holds.length} steps (${busySteps.map((s) => `${s.step.offeredRps} req/s`).join(', ')})${result.emulated ? ': the embedded gateway shares it with k6, so those steps measured the machine as much as the gateway; rerun on a quieter machine' : ''}`);
      say('');
      if (result.emulated) say(`emulated capacity: ${result.emulated.units} unit(s) × ${result.emulated.requestsPerSecondPerUnit} req/s (queue ${result.emulated.queueLength}, timeout ${result.emulated.queueTimeoutSeconds} s)`);
      say(conclusion.rpsPerUnit !== null ? `requests per second per unit: ${conclusion.rpsPerUnit.toFixed(1)}` : 'requests per second per unit: not known from this run');
      for (const line of conclusion.lines) say(line);
      for (const line of referenceLines(reference, settings.profile, conclusion.rpsPerUnit !== null ? 'the knee per unit' : 'the lower bound per unit')) say(line);
      if (result.emulated) say('  (on the embedded default the figure is the emulator\'s configured capacity model, not a measurement of APIM)');
      const journalFile = join(runDir, 'capacity-journal.json');
      writeCapacityJournal(journalFile, {
        kind: 'capacity',
        schemaVersion: capacityJournalSchemaVersion,
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
        status: problem === null ? 'completed' : abort.signal.aborted ? 'interrupted' : 'incomplete',
        ...(problem !== null ? { problem } : {}),
        settings,
        profile: { name: settings.profile, ...capacityProfiles[settings.profile] },
        target: result.target,
        emulated: result.emulated,
        steps: result.steps,
        unconfirmedSteps: result.unconfirmed,
        holds: result.holds,
        knee: result.knee,
        kneeConfirmed: result.kneeConfirmed,
        conclusion,
        reference,
      });
      say(`journal: ${journalFile}`);
      // The reports after the journal: one that fails is said and logged, never the run's end.
      for (const failed of writeRunReports(runDir).failed) say(`report: ${describeReportFailure(runDir, failed)}`);
      appendStepSummary(runDir, say);
      process.exitCode = conclusion.exitCode;
    });
}
