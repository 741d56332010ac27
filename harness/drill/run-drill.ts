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
 * run would say nothing about how the drilled gateway came out of the fault. The before window
 * is judged while the load runs, at its end (the before-gate, harness/run/before-gate.ts): when
 * the steady state does not hold, the method's faults are never applied, the load stops, and the
 * drill ends deviated with the method not run (Chaos Toolkit's rule).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
import { snapshotEvidenceSoFar } from './evidence-so-far.ts';
import { sendProbeRequests } from './probe-requests.ts';
import type { BeforeGate } from '../run/before-gate.ts';
import type { WorkspaceReader } from '../evidence/log-analytics/workspace-reader.ts';
import { describeReportFailure, writeRunReports } from '../../reports/render-outputs.ts';
import { checkDrillOnTarget, drillTargetKind, outlivingFleet, runTargetOptions, targetWorkspace, type DrillTargetOptions } from './drill-targets.ts';

export interface DrillOptions extends DrillTargetOptions {
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
  const targetKind = drillTargetKind(options);
  // What the target cannot do for this drill is refused before anything starts (no folder yet).
  checkDrillOnTarget(drill, options);
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
  const { before, after } = spec.steadyStateHypothesis;
  // The before-gate: judged while the load runs, on what k6 and the gateway wrote so far; when
  // the steady state does not hold, the run cancels the faults and stops the load.
  let gateResults: CheckResult[] | null = null;
  let ownBefore: OwnRequests = new Map();
  let ownAfter: Promise<OwnRequests | null> = Promise.resolve(null);
  let afterTimer: NodeJS.Timeout | undefined;
  let cancelAfter = (): void => undefined;
  let gateJudgedAt = 0;
  const beforeGate: BeforeGate = {
    atSeconds: before.toSeconds,
    async judge({ runDir, runId, loadStartedAt, baseUrl, keyFor }) {
      // The probes' own requests: sent now for the before window, and at the after window's
      // start for the after one (while the load, and the embedded gateway, still run).
      const to = { baseUrl, keyFor, runId };
      ownBefore = await sendOwnRequests(drill, to);
      const afterDue = loadStartedAt + after.fromSeconds * 1000;
      ownAfter = new Promise((resolve) => {
        afterTimer = setTimeout(() => void sendOwnRequests(drill, to).then(resolve, () => resolve(null)), Math.max(0, afterDue - Date.now()));
        cancelAfter = () => resolve(null);
      });
      gateJudgedAt = Date.now();
      const soFar = snapshotEvidenceSoFar(runDir, join(dir, 'before-gate'));
      const records = await readClientRecords(soFar.samples);
      // Only the embedded gateway's rows are there while the load runs; a real workspace's come
      // minutes late, so its kql probes are judged after the run (drill-targets.ts).
      const reader = targetKind === 'embedded' ? offlineWorkspace(soFar.logsDir, runId).reader : null;
      const window: ProbeWindow = { phase: 'before', start: loadStartedAt + before.fromSeconds * 1000, end: Math.min(gateJudgedAt, loadStartedAt + before.toSeconds * 1000) };
      gateResults = await judgeProbes(drill, records, reader, window, undefined, ownBefore);
      const failed = gateResults.filter((r) => r.status === 'deviated');
      say(`before-gate at ${before.toSeconds} s: ${failed.length === 0 ? 'the steady state held (or could not be judged): the method goes on' : `${failed.length} probe(s) deviated: the method is not run`}`);
      return failed.length === 0 ? null : `the steady-state hypothesis did not hold before the method (${failed.map((f) => `probe "${f.name}"`).join(', ')} deviated)`;
    },
  };
  try {
    // The method's plan as a scenario of a k6 configuration of its own, kept with the drill.
    const k6ConfigFile = join(dir, 'k6.config.json');
    const { name: _name, ...plan } = drill.plan;
    writeFileSync(k6ConfigFile, `${JSON.stringify({ k6: drill.config.k6, consumers: drill.config.consumers, scenarios: { [drill.name]: plan } }, null, 2)}\n`);
    writeFileSync(join(dir, 'drill.json'), `${JSON.stringify(spec, null, 2)}\n`);

    say(`drill ${drill.name}: ${spec.title} (${spec.playbookEvent})`);
    const gatewayConfigDir = drill.configOverlayDir === null ? options.gatewayConfigDir : overlaidConfig(options.gatewayConfigDir ?? defaultGatewayConfigDir, drill.configOverlayDir, join(dir, 'gateway-config'));
    if (drill.configOverlayDir !== null) say(`gateway configuration: ${options.gatewayConfigDir ?? defaultGatewayConfigDir} with the drill's overlay ${drill.configOverlayDir} laid over it (${gatewayConfigDir})`);
    // The first query in a process loads the KQL analyzer (about 4 s here): done now, so that
    // judging the gate does not hold the first fault up by as much (warmed, it takes tens of ms).
    if (targetKind === 'embedded') await warmUpOfflineWorkspace(drill, join(dir, 'before-gate', 'warm-up'));
    const run = await runScenario({
      scenario: drill.name,
      units: 1,
      k6ConfigFile,
      resultsDir: join(dir, 'run'),
      ...(gatewayConfigDir ? { gatewayConfigDir } : {}),
      ...(options.expectationsConfigDir ? { expectationsConfigDir: options.expectationsConfigDir } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...runTargetOptions(options),
      progress: say,
    }, { beforeGate });
    runJournal = run.journal;
    journal.run = { runId: run.runId, folder: relative(dir, run.runDir), status: run.journal.status, exitCode: run.journal.exitCode, ...(run.journal.problem ? { problem: run.journal.problem } : {}) };
    if (run.journal.status === 'interrupted' || options.signal?.aborted) {
      status = 'interrupted';
      throw new DrillNotJudged(`the method's run was interrupted${run.journal.problem ? `: ${run.journal.problem}` : ''}`);
    }
    // Set by the gate's callback, which TypeScript cannot see from here.
    const judgedBefore = gateResults as CheckResult[] | null;
    if (judgedBefore !== null) {
      const deviated = judgedBefore.some((r) => r.status === 'deviated');
      journal.beforeGate = {
        atSeconds: before.toSeconds,
        judgedAt: new Date(gateJudgedAt).toISOString(),
        status: deviated ? 'deviated' : judgedBefore.some((r) => r.status === 'inconclusive') ? 'inconclusive' : 'held',
        method: deviated ? 'not-run' : 'ran',
        faultsApplied: run.journal.timeline.filter((f) => f.appliedAt !== null).length,
      };
    }
    if (journal.beforeGate?.method === 'not-run') {
      // Chaos Toolkit's rule: the gateway deviated before any fault, so the method was not run.
      journal.hypothesis.before = judgedBefore!;
      status = judged(journal);
      journal.deviations.unshift(`steady state before the method: did not hold at ${before.toSeconds} s, so the method was not run (${journal.beforeGate.faultsApplied} of ${run.journal.timeline.length} fault(s) applied; the load was stopped early)`);
      say(journal.deviations[0]!);
      return { journal, journalFile, dir };
    }
    if (run.journal.status !== 'completed') throw new DrillNotJudged(`the method's run did not complete: ${run.journal.problem ?? run.journal.status} (run folder ${relative(dir, run.runDir)})`);

    const loadStart = Date.parse(run.journal.k6.startedAt!);
    const loadEnd = Date.parse(run.journal.k6.endedAt!);
    const paths = evidencePaths(run.runDir);
    const records = await readClientRecords(paths.client);
    const workspace = drillWorkspace(targetKind, options, paths.logsDir, run.runId, say);

    const at = (seconds: number): number => Math.min(loadEnd, loadStart + seconds * 1000);
    const beforeWindow: ProbeWindow = { phase: 'before', start: at(before.fromSeconds), end: at(before.toSeconds) };
    // What the gate judged is what decided the method ran: it stands as the before window's
    // result, with the kql probes it could not judge (a real workspace's) judged now.
    journal.hypothesis.before = judgedBefore
      ? [...judgedBefore, ...(targetKind === 'apim' && workspace.reader ? await judgeProbes(drill, [], workspace.reader, beforeWindow, 'kql') : [])]
      : await judgeProbes(drill, records, workspace.reader, beforeWindow);
    const sentAfter = await ownAfter;
    journal.hypothesis.after = await judgeProbes(drill, records, workspace.reader, { phase: 'after', start: at(after.fromSeconds), end: at(after.toSeconds) }, undefined, sentAfter ?? new Map());
    journal.hypothesis.method = spec.steadyStateHypothesis.probes.flatMap((p) => (p.kind === 'verdict' ? [judgeVerdictProbe(p, run.journal.verdicts)] : []));
    journal.verdicts = run.journal.verdicts.map((v) => ({ check: v.check, status: v.status, expected: v.expected, measured: v.measured }));
    for (const detection of spec.detection) {
      const window = detection.window ? { start: at(detection.window.fromSeconds), end: at(detection.window.toSeconds) } : { start: loadStart, end: loadEnd };
      const measured = await measureKql(workspace.reader!, detection.query, window, detection.expect, `the detection query "${detection.name}"`);
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
    journal.logAnalytics = workspace.reader ? { workspace: workspace.describe, ...workspace.rows, queries: workspace.reader.counts.queries } : null;
    if (options.signal?.aborted) {
      status = 'interrupted';
      throw new DrillNotJudged('interrupted while judging');
    }
    status = judged(journal);
  } catch (error) {
    if (status !== 'interrupted') status = options.signal?.aborted ? 'interrupted' : 'aborted';
    journal.problem = error instanceof UserFacingError ? error.message : `${error instanceof Error ? (error.stack ?? error.message) : String(error)} (not a message Spillway wrote for you: please report it with the drill folder)`;
  } finally {
    clearTimeout(afterTimer);
    cancelAfter();
    // Always: after the method, after Ctrl-C, after a crash the run pipeline stopped on.
    let fleet = null;
    try {
      fleet = outlivingFleet(options);
    } catch {
      // A fleet that cannot be described was refused by the run before it started: nothing of it to undo.
    }
    journal.rollbacks = [...timelineRollbacks(runJournal?.timeline ?? []), ...(await runDeclaredRollbacks(spec.rollbacks, fleet))];
    const failed = journal.rollbacks.filter((r) => r.status === 'failed');
    if (failed.length > 0 && (status === 'completed' || status === 'inconclusive')) {
      status = 'aborted';
      journal.problem = `rollback failed: ${failed.map((r) => `${r.what}: ${r.detail}`).join('; ')}`;
    }
    journal.status = status;
    journal.exitCode = exitCodeOfDrill(status);
    journal.endedAt = new Date().toISOString();
    writeDrillJournal(journalFile, journal);
    // The drill's reports after its journal: one that fails is said and logged (reports/render-outputs.ts).
    for (const failed of writeRunReports(dir).failed) say(`report: ${describeReportFailure(dir, failed)}`);
  }
  return { journal, journalFile, dir };
}

/** The window's http and kql probes (only one kind with `only`); kql ones only with a workspace to ask. */
/** Each http probe with its own `request`: what its requests got back, by the probe's index. */
type OwnRequests = Map<number, ClientRecord[]>;

async function sendOwnRequests(drill: Drill, to: { baseUrl: string; keyFor(consumer: string): string; runId: string }): Promise<OwnRequests> {
  const sent: OwnRequests = new Map();
  for (const [index, probe] of drill.spec.steadyStateHypothesis.probes.entries()) {
    if (probe.kind === 'http' && probe.request) sent.set(index, await sendProbeRequests(probe.request, to, drill.plan, drill.config));
  }
  return sent;
}

async function judgeProbes(drill: Drill, records: readonly ClientRecord[], reader: WorkspaceReader | null, window: ProbeWindow, only?: 'http' | 'kql', own: OwnRequests = new Map()): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [index, probe] of drill.spec.steadyStateHypothesis.probes.entries()) {
    if (only !== undefined && probe.kind !== only) continue;
    if (probe.kind === 'http' && probe.request) {
      const sent = own.get(index);
      if (!sent) results.push({ name: probe.name, kind: 'http', phase: window.phase, status: 'inconclusive', expected: `its own ${probe.request.count} request(s) answered ${probe.status.min}-${probe.status.max}`, measured: `its requests were not sent: the run ended before the ${window.phase} window` });
      else results.push(judgeHttpProbe(probe, sent, { phase: window.phase, start: Math.min(...sent.map((r) => r.time)), end: Math.max(...sent.map((r) => r.time + r.durationMs)) }));
    } else if (probe.kind === 'http') results.push(judgeHttpProbe(probe, records, window));
    else if (probe.kind === 'kql' && reader) results.push(await judgeKqlProbe(probe, reader, window));
  }
  return results;
}

/**
 * Where the drill's queries go: the offline workspace over the run's rows (embedded), the real
 * APIM's workspace (--target), or none (a gateway at a URL: its drills have no queries).
 */
function drillWorkspace(kind: ReturnType<typeof drillTargetKind>, options: DrillOptions, logsDir: string, runId: string, say: (line: string) => void): { reader: WorkspaceReader | null; describe: string; rows: OfflineWorkspace['rows'] } {
  if (kind === 'embedded') {
    const workspace = offlineWorkspace(logsDir, runId);
    say(`log analytics (offline): ${workspace.rows.gatewayRows} gateway rows and ${workspace.rows.llmRows} LLM rows of the run ingested${workspace.rows.configSourceRows > 0 ? `, and ${workspace.rows.configSourceRows} config source rows` : ''}`);
    return { reader: workspace.reader, describe: 'offline', rows: workspace.rows };
  }
  const none = { gatewayRows: 0, llmRows: 0, configSourceRows: 0 };
  if (kind === 'gateway') return { reader: null, describe: 'none', rows: none };
  const { reader, workspaceId } = targetWorkspace(options, say);
  // The rows the target collected for the run (its marker's), for the journal's counts; the queries see the whole workspace.
  const rows = { gatewayRows: countLines(join(logsDir, 'ApiManagementGatewayLogs.jsonl')), llmRows: countLines(join(logsDir, 'ApiManagementGatewayLlmLog.jsonl')), configSourceRows: 0 };
  say(`log analytics: the drill's queries go to workspace ${workspaceId} (${rows.gatewayRows} gateway rows of the run arrived there)`);
  return { reader, describe: `workspace ${workspaceId}`, rows };
}

function countLines(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length : 0;
}

async function warmUpOfflineWorkspace(drill: Drill, emptyLogsDir: string): Promise<void> {
  const probe = drill.spec.steadyStateHypothesis.probes.find((p) => p.kind === 'kql');
  if (!probe || probe.kind !== 'kql') return;
  try {
    await offlineWorkspace(emptyLogsDir, 'warm-up').reader.query(probe.query, { start: Date.now() - 60_000, end: Date.now() }, 'warming up the KQL analyzer', Date.now() + 60_000);
  } catch {
    // A query the analyzer refuses is reported when the probe is judged, with its name.
  }
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
