/**
 * One drill, as a short pipeline: open the drill's folder (results/drills/<id>/) and write the
 * method's plan into a k6 configuration there; run the method through the run pipeline
 * (harness/run/run-scenario.ts: the target, k6, the fault timeline, the verifiers), whose run
 * folder sits under the drill's; judge the steady-state hypothesis in the steady windows before
 * the first fault and after the last is undone, and the detection queries over the method's
 * load, through the Log Analytics source over the run's gateway rows; run the rollbacks, always;
 * and write drill-journal.json.
 *
 * The hypothesis is judged from the same run as the method (its steady windows), not from runs
 * of their own: on the embedded default every run starts a fresh gateway, so a separate "after"
 * run would say nothing about how the drilled gateway came out of the fault.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import type { ClientRecord } from '../contracts/client-record.ts';
import { evidencePaths } from '../evidence/collect-evidence.ts';
import { readClientRecords } from '../evidence/k6-samples.ts';
import { defaultGatewayConfigDir, runScenario } from '../run/run-scenario.ts';
import type { Journal } from '../run/journal.ts';
import type { Drill } from './drill-file.ts';
import { exitCodeOfDrill, drillJournalSchemaVersion, writeDrillJournal, type CheckResult, type DrillJournal, type DrillStatus } from './drill-journal.ts';
import { describeTolerance, describeValue, measureKql, withinTolerance } from './kql-measure.ts';
import { offlineWorkspace, type OfflineWorkspace } from './offline-workspace.ts';
import { judgeHttpProbe, judgeKqlProbe, judgeVerdictProbe, type ProbeWindow } from './probes.ts';
import { runDeclaredRollbacks, timelineRollbacks } from './rollbacks.ts';

export interface DrillOptions {
  resultsDir: string;
  /** APIOps folder of the embedded gateway (default deploy/apim). */
  gatewayConfigDir?: string;
  /** Hold the gateway to another folder (typically the last approved one). */
  expectationsConfigDir?: string;
  seed?: number;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

export interface DrillResult {
  journal: DrillJournal;
  journalFile: string;
  dir: string;
}

export async function runDrill(drill: Drill, options: DrillOptions): Promise<DrillResult> {
  const say = options.progress ?? (() => undefined);
  const startedAt = new Date();
  const drillRunId = `${startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-${drill.name}`;
  const dir = join(options.resultsDir, 'drills', drillRunId);
  mkdirSync(dir, { recursive: true });
  const journalFile = join(dir, 'drill-journal.json');
  const { spec } = drill;
  const journal: DrillJournal = {
    schemaVersion: drillJournalSchemaVersion,
    drill: drill.name,
    title: spec.title,
    playbookEvent: spec.playbookEvent,
    file: drill.file,
    drillRunId,
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    status: 'aborted',
    exitCode: 2,
    run: null,
    logAnalytics: null,
    hypothesis: { title: spec.steadyStateHypothesis.title, before: [], after: [], method: [] },
    verdicts: [],
    detection: [],
    rollbacks: [],
    deviations: [],
  };
  let status: DrillStatus = 'aborted';
  let runJournal: Journal | null = null;
  try {
    // The method's plan as a scenario of a k6 configuration of its own, kept with the drill.
    const k6ConfigFile = join(dir, 'k6.config.json');
    const { name: _name, ...plan } = drill.plan;
    writeFileSync(k6ConfigFile, `${JSON.stringify({ k6: drill.config.k6, consumers: drill.config.consumers, scenarios: { [drill.name]: plan } }, null, 2)}\n`);
    writeFileSync(join(dir, 'drill.json'), `${JSON.stringify(spec, null, 2)}\n`);

    say(`drill ${drill.name}: ${spec.title} (${spec.playbookEvent})`);
    const gatewayConfigDir = drill.configOverlayDir === null ? options.gatewayConfigDir : overlaidConfig(options.gatewayConfigDir ?? defaultGatewayConfigDir, drill.configOverlayDir, join(dir, 'gateway-config'));
    if (drill.configOverlayDir !== null) say(`gateway configuration: ${options.gatewayConfigDir ?? defaultGatewayConfigDir} with the drill's overlay ${drill.configOverlayDir} laid over it (${gatewayConfigDir})`);
    const run = await runScenario({
      scenario: drill.name,
      units: 1,
      k6ConfigFile,
      resultsDir: join(dir, 'run'),
      ...(gatewayConfigDir ? { gatewayConfigDir } : {}),
      ...(options.expectationsConfigDir ? { expectationsConfigDir: options.expectationsConfigDir } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      progress: say,
    });
    runJournal = run.journal;
    journal.run = { runId: run.runId, folder: relative(dir, run.runDir), status: run.journal.status, exitCode: run.journal.exitCode, ...(run.journal.problem ? { problem: run.journal.problem } : {}) };
    if (run.journal.status === 'interrupted' || options.signal?.aborted) {
      status = 'interrupted';
      throw new DrillNotJudged(`the method's run was interrupted${run.journal.problem ? `: ${run.journal.problem}` : ''}`);
    }
    if (run.journal.status !== 'completed') throw new DrillNotJudged(`the method's run did not complete: ${run.journal.problem ?? run.journal.status} (run folder ${relative(dir, run.runDir)})`);

    const loadStart = Date.parse(run.journal.k6.startedAt!);
    const loadEnd = Date.parse(run.journal.k6.endedAt!);
    const paths = evidencePaths(run.runDir);
    const records = await readClientRecords(paths.client);
    const workspace = offlineWorkspace(paths.logsDir, run.runId);
    say(`log analytics (offline): ${workspace.rows.gatewayRows} gateway rows and ${workspace.rows.llmRows} LLM rows of the run ingested${workspace.rows.configSourceRows > 0 ? `, and ${workspace.rows.configSourceRows} config source rows` : ''}`);

    const at = (seconds: number): number => Math.min(loadEnd, loadStart + seconds * 1000);
    const { before, after } = spec.steadyStateHypothesis;
    journal.hypothesis.before = await judgeProbes(drill, records, workspace, { phase: 'before', start: at(before.fromSeconds), end: at(before.toSeconds) });
    journal.hypothesis.after = await judgeProbes(drill, records, workspace, { phase: 'after', start: at(after.fromSeconds), end: at(after.toSeconds) });
    journal.hypothesis.method = spec.steadyStateHypothesis.probes.flatMap((p) => (p.kind === 'verdict' ? [judgeVerdictProbe(p, run.journal.verdicts)] : []));
    journal.verdicts = run.journal.verdicts.map((v) => ({ check: v.check, status: v.status, expected: v.expected, measured: v.measured }));
    for (const detection of spec.detection) {
      const window = detection.window ? { start: at(detection.window.fromSeconds), end: at(detection.window.toSeconds) } : { start: loadStart, end: loadEnd };
      const measured = await measureKql(workspace.reader, detection.query, window, detection.expect, `the detection query "${detection.name}"`);
      journal.detection.push({
        name: detection.name,
        kind: 'detection',
        phase: 'method',
        status: withinTolerance(measured.value, detection.tolerance) && measured.partialError === null ? 'held' : 'deviated',
        expected: `${describeValue(detection.expect)} ${describeTolerance(detection.tolerance)}`,
        measured: `${measured.value ?? 'nothing (no row matched)'} over ${measured.matched} of ${measured.rows} result row(s)${measured.partialError ? `; partial: ${measured.partialError}` : ''}`,
        query: detection.query,
        window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
        result: measured.result,
      });
    }
    journal.logAnalytics = { workspace: 'offline', ...workspace.rows, queries: workspace.reader.counts.queries };
    if (options.signal?.aborted) {
      status = 'interrupted';
      throw new DrillNotJudged('interrupted while judging');
    }
    status = judged(journal);
  } catch (error) {
    if (status !== 'interrupted') status = options.signal?.aborted ? 'interrupted' : 'aborted';
    journal.problem = error instanceof UserFacingError ? error.message : `${error instanceof Error ? (error.stack ?? error.message) : String(error)} (not a message Spillway wrote for you: please report it with the drill folder)`;
  } finally {
    // Always: after the method, after Ctrl-C, after a crash the run pipeline stopped on.
    journal.rollbacks = [...timelineRollbacks(runJournal?.timeline ?? []), ...(await runDeclaredRollbacks(spec.rollbacks, null))];
    const failed = journal.rollbacks.filter((r) => r.status === 'failed');
    if (failed.length > 0 && (status === 'completed' || status === 'inconclusive')) {
      status = 'aborted';
      journal.problem = `rollback failed: ${failed.map((r) => `${r.what}: ${r.detail}`).join('; ')}`;
    }
    journal.status = status;
    journal.exitCode = exitCodeOfDrill(status);
    journal.endedAt = new Date().toISOString();
    writeDrillJournal(journalFile, journal);
  }
  return { journal, journalFile, dir };
}

async function judgeProbes(drill: Drill, records: readonly ClientRecord[], workspace: OfflineWorkspace, window: ProbeWindow): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const probe of drill.spec.steadyStateHypothesis.probes) {
    if (probe.kind === 'http') results.push(judgeHttpProbe(probe, records, window));
    else if (probe.kind === 'kql') results.push(await judgeKqlProbe(probe, workspace.reader, window));
  }
  return results;
}

/** Deviated if anything the drill checks failed; inconclusive if nothing failed but something could not be judged. */
function judged(journal: DrillJournal): DrillStatus {
  const checks = [...journal.hypothesis.before, ...journal.hypothesis.after, ...journal.hypothesis.method, ...journal.detection];
  journal.deviations = [
    ...checks.filter((c) => c.status === 'deviated').map((c) => `${c.kind === 'detection' ? 'detection' : `probe (${c.kind}, ${c.phase})`} "${c.name}": expected ${c.expected}; measured ${c.measured}`),
    ...journal.verdicts.filter((v) => v.status === 'fail').map((v) => `verdict ${v.check}: expected ${v.expected}; measured ${v.measured}`),
  ];
  if (journal.deviations.length > 0) return 'deviated';
  if (checks.some((c) => c.status === 'inconclusive') || journal.verdicts.some((v) => v.status === 'inconclusive')) return 'inconclusive';
  return 'completed';
}

/**
 * A copy of the gateway configuration with the drill's overlay laid over it (its files replace
 * or add to the base's), kept in the drill's folder as the configuration the method ran on.
 */
function overlaidConfig(base: string, overlay: string, into: string): string {
  cpSync(base, into, { recursive: true });
  cpSync(overlay, into, { recursive: true });
  return into;
}

/** An end the drill decided on (the method's run not completing, an interruption): said as is. */
class DrillNotJudged extends UserFacingError {}
