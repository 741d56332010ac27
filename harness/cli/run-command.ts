import type { Command } from 'commander';
import { exitCodesHelp } from './exit-codes.ts';
import { parseNumberOption } from './option-parsers.ts';
import { parseRuntime, type Runtime } from '../containers/container-runtime.ts';
import { onStopSignal } from './stop-signals.ts';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .argument('<scenario>', 'a scenario of k6.config.json: smoke, spillover, circuit-breaker, priority, failover, token-limit')
    .description('run a verification scenario: bring the topology up, drive it with k6, break it on the timeline, judge the evidence')
    .option('--units <n>', 'gateway units: request rates are per unit', parseNumberOption('--units', { integer: true, min: 1, max: 30 }), 1)
    .option('--k6-config <file>', 'scenario plans and consumer classes (default: k6.config.json)')
    .option('--config <dir>', 'APIOps folder of the emulated gateway (default: deploy/apim); with --target, the real gateway\'s, which the verdicts hold it to')
    .option('--gateway-url <url>', 'drive a gateway (or front door) at this URL instead of the embedded default; keys from the environment')
    .option('--target <file>', 'a real API Management: its URLs, key variables, Log Analytics workspace and fleet, as a target file (docs/real-apim.md)')
    .option('--fleet <file>', "with --gateway-url: attach to the fleet behind it, the JSON line `spillway fleet up --json` printed")
    .option('--port-base <n>', 'with --gateway-url: start the fleet behind it, resource i on port n+i (the ports the gateway is configured for)', parseNumberOption('--port-base', { integer: true, min: 1, max: 65000 }))
    .option('--topology <file>', 'with --port-base: the fleet topology to start (default: two regions, 2 PTU + 1 PAYG each)')
    .option('--allow-remote <host>', 'with a --gateway-url that is not loopback: the host load may go to, named explicitly')
    .option('--max-rate <requests/s>', 'a cap on the total request rate; required with --allow-remote, and the plan at --units must stay within it', parseNumberOption('--max-rate', { min: 0.001 }))
    .option('--health-path <path>', "with --gateway-url: the path the gateway answers 200 on when up, or 'none' (default: APIM's /status-0123456789abcdef)")
    .option('--expectations <file>', 'what the gateway is supposed to do, as JSON (docs/verifiers.md), instead of reading it from --config')
    .option('--expectations-config <dir>', 'hold the gateway to another APIOps folder (typically the last approved one) instead of the --config it runs')
    .option('--results <dir>', 'where run folders go', 'results')
    .option('--seed <n>', 'seed for the fleet and the gateways', parseNumberOption('--seed', { integer: true }))
    .option('--load-generators <n>', "k6 processes sharing the load, each on its execution segment; their samples are merged and judged once (default 1; at most this machine's cores)", parseNumberOption('--load-generators', { integer: true, min: 1 }))
    .option('--oversubscribe-generators', "allow more --load-generators than this machine's cores")
    .option('--runtime <process|container>', 'where k6 and Toxiproxy run: processes (default) or containers through testcontainers, images built locally (docs/containers.md)', (value: string) => parseRuntime(value))
    .option('--json', 'print one JSON line with the result at the end')
    .option('--quiet', 'print only the result: no progress (the verdicts, or with --json the JSON line)')
    .addHelpText('after', `\n${exitCodesHelp}`)
    .action(async (scenario: string, options: { units: number; k6Config?: string; config?: string; gatewayUrl?: string; target?: string; fleet?: string; portBase?: number; topology?: string; healthPath?: string; allowRemote?: string; maxRate?: number; expectations?: string; expectationsConfig?: string; results: string; seed?: number; loadGenerators?: number; oversubscribeGenerators?: boolean; runtime?: Runtime; json?: boolean; quiet?: boolean }) => {
      // What a run needs is loaded when one starts, not when the command line is parsed
      // (commands.ts says why).
      const [{ checkInvocation, runScenario }, { guardRunAgainstCrashes }, { commandProgress }, { colourEnabled }, { renderVerdictTable }, { appendStepSummary }] = await Promise.all([
        import('../run/run-scenario.ts'),
        import('../run/harness-crash.ts'),
        import('../progress/command-progress.ts'),
        import('../progress/output-style.ts'),
        import('../../reports/verdict-table.renderer.ts'),
        import('../../reports/render-outputs.ts'),
      ]);
      const runOptions = {
        scenario,
        units: options.units,
        resultsDir: options.results,
        ...(options.k6Config ? { k6ConfigFile: options.k6Config } : {}),
        ...(options.config ? { gatewayConfigDir: options.config } : {}),
        ...(options.gatewayUrl ? { gatewayUrl: options.gatewayUrl } : {}),
        ...(options.fleet ? { fleetFile: options.fleet } : {}),
        ...(options.target ? { targetFile: options.target } : {}),
        ...(options.portBase !== undefined ? { portBase: options.portBase } : {}),
        ...(options.topology ? { topologyFile: options.topology } : {}),
        ...(options.healthPath ? { healthPath: options.healthPath } : {}),
        ...(options.allowRemote ? { allowRemoteHost: options.allowRemote } : {}),
        ...(options.maxRate !== undefined ? { maxRate: options.maxRate } : {}),
        ...(options.expectations ? { expectationsFile: options.expectations } : {}),
        ...(options.expectationsConfig ? { expectationsConfigDir: options.expectationsConfig } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.loadGenerators !== undefined ? { loadGenerators: options.loadGenerators } : {}),
        ...(options.oversubscribeGenerators ? { oversubscribeGenerators: true } : {}),
        ...(options.runtime ? { runtime: options.runtime } : {}),
      };
      // Usage errors stop here, with nothing created; refusals after this write a journal.
      checkInvocation(runOptions);
      // Progress goes where it always went (stdout; stderr beside --json's line): an updating line
      // on a terminal, timestamped lines in a CI log, nothing with --quiet (harness/progress).
      const progress = commandProgress({ quiet: options.quiet === true, stream: options.json ? process.stderr : process.stdout });
      const abort = new AbortController();
      // Handled for the whole run, not once (stop-signals.ts): Ctrl-C in a terminal signals the
      // whole process group, and the launcher that picked a suitable Node forwards its copy
      // too, so a second SIGINT arrives at once; with a one-shot handler it would kill this
      // process mid-cleanup and leave k6 and the topology behind. Stopping is bounded, so no
      // second Ctrl-C is needed. The launcher's end and npm's signals arrive here as SIGTERM
      // or SIGINT too (bin/launcher-link.js, bin/npm-parent-watch.js).
      const interrupt = (signal: NodeJS.Signals): void => {
        if (abort.signal.aborted) return;
        // The display ends first: a terminal's updating line would otherwise be redrawn over this.
        progress.close();
        process.stderr.write(`\nspillway: ${signal}: stopping the run (k6, the fault timeline and the topology)...\n`);
        abort.abort();
      };
      onStopSignal(interrupt);
      // A crash of the harness itself stops the run the same way and says so in its journal.
      guardRunAgainstCrashes(abort);
      const started = Date.now();
      const result = await runScenario({ ...runOptions, signal: abort.signal, progress }).finally(() => progress.close());
      // The handlers stay until the process exits: a late copy of the Ctrl-C (the launcher
      // forwards its own) arriving while the verdicts are printed must not kill the process
      // and turn exit code 2 into death by signal.
      const { journal } = result;
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({
            runId: result.runId,
            journal: result.journalFile,
            exitCode: journal.exitCode,
            status: journal.status,
            ...(journal.problem ? { problem: journal.problem } : {}),
            verdicts: journal.verdicts.map((v) => ({ check: v.check, status: v.status, expected: v.expected, measured: v.measured, explanation: v.explanation })),
          })}\n`,
        );
      } else if (journal.status === 'incomplete' && journal.k6.startedAt === null && journal.problem) {
        // Refused before any load: said like a usage error (stderr, exit 2), with the journal,
        // junit.xml and the reports that record it for CI.
        process.stderr.write(`spillway: ${journal.problem}\n(refused before any load; recorded in ${result.journalFile}, junit.xml and the reports beside it)\n`);
      } else {
        process.stdout.write(`\n${renderVerdictTable(journal.verdicts, { color: colourEnabled(process.stdout) })}`);
        if (journal.problem) process.stdout.write(`\nthe run did not complete: ${journal.problem}\n`);
        process.stdout.write(`\n${journal.status} in ${((Date.now() - started) / 1000).toFixed(1)} s; results in ${result.runDir} (journal.json)\n`);
      }
      // The run's report.md to GitHub's step summary, when $GITHUB_STEP_SUMMARY is set (docs/report-command.md).
      appendStepSummary(result.runDir, (line) => void process.stderr.write(`${line}\n`));
      process.exitCode = journal.exitCode;
    });
}
