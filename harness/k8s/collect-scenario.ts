import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderJUnit } from '../../reports/junit.renderer.ts';
import type { EvidenceSource } from '../contracts/evidence.ts';
import { collectEvidence, evidencePaths } from '../evidence/collect-evidence.ts';
import { evidenceKinds } from '../contracts/evidence.ts';
import { describeExpectations } from '../run/expectations-mode.ts';
import { exitCodeFor, journalSchemaVersion, writeJournal, type Journal } from '../run/journal.ts';
import { thresholdVerdictsFromSamples } from '../run/thresholds-from-samples.ts';
import type { Expectations } from '../verify/expectations.ts';
import { runVerifiers, verifiers } from '../verify/index.ts';
import type { K8sPlanFile } from './k8s-plan-file.ts';
import type { RunnerFolder } from './runner-folders.ts';

/**
 * A scenario run on k6-operator, judged from its runners' merged samples into the run folder
 * `spillway run` writes (journal.json and junit.xml, harness/run/journal.ts): the plan's k6
 * thresholds computed over the merged raw samples (harness/run/thresholds-from-samples.ts), and
 * its verifiers through the evidence-needs mechanism (harness/verify/index.ts runVerifiers).
 *
 * The runners bring client evidence only. The fleet's ledger and the gateway's logs are not on
 * the cluster, so a verifier that needs them is inconclusive, naming what is missing: the run
 * says nothing about what it could not see.
 */
export interface ScenarioCollected {
  journal: Journal;
  journalFile: string;
}

/** What a k6-operator run brings of each kind of evidence, and why not the rest. */
export function clusterEvidenceSources(): EvidenceSource[] {
  const absent: Record<string, string> = {
    ledger: "a k6-operator run brings only the runners' client samples; the fleet's ledger stays with the fleet",
    gatewayLogs: "a k6-operator run brings only the runners' client samples; the gateway's ApiManagementGatewayLogs rows are in its Log Analytics workspace (query them by the run id, x-spillway-run)",
    llmLogs: "a k6-operator run brings only the runners' client samples; the gateway's ApiManagementGatewayLlmLog rows are in its Log Analytics workspace",
    breakerEvents: 'a k6-operator run brings no circuit breaker events',
    frontDoorEvents: "a k6-operator run brings no front door events",
  };
  return evidenceKinds.map((kind) => (kind === 'client' ? { kind, status: 'collected' as const, note: "the runners' raw samples, merged" } : { kind, status: 'absent' as const, note: absent[kind]! }));
}

/** The verdict of a verifier whose evidence the run has, but whose expectations were not given. */
export async function judgeScenarioRun(input: {
  plan: K8sPlanFile;
  runDir: string;
  samplesFile: string;
  runners: readonly RunnerFolder[];
  expectations: { file: string; expectations: Expectations } | null;
  say: (line: string) => void;
}): Promise<ScenarioCollected> {
  const { plan, runDir, runners } = input;
  const started = Date.now();
  const paths = evidencePaths(runDir);
  const sources = clusterEvidenceSources();
  // The window is the load's own: the first request's start to the last answer's end.
  const evidence0 = await collectEvidence(runDir, { start: 0, end: 0 }, [], null, sources);
  const starts = evidence0.client.map((r) => r.time - r.durationMs);
  const window = evidence0.client.length > 0 ? { start: Math.min(...starts), end: Math.max(...evidence0.client.map((r) => r.time)) } : { start: 0, end: 0 };
  const evidence = { ...evidence0, window };
  input.say(`${evidence.client.length.toLocaleString('en-US')} requests in the merged samples`);

  const samplesName = relative(runDir, input.samplesFile);
  const thresholds = await thresholdVerdictsFromSamples(input.samplesFile, samplesName, plan.plan.thresholds, runners.length);
  // Without expectations a verifier is inconclusive, whether for its missing evidence or for them.
  const verifierVerdicts = runVerifiers(plan.plan.verifiers, evidence, input.expectations?.expectations ?? null);
  const verdicts = [...thresholds, ...verifierVerdicts];
  const lacking = plan.plan.verifiers.flatMap((name) => {
    const missing = verifiers[name].needs.filter((kind) => kind !== 'client');
    return missing.length > 0 ? [`the ${name} verifier needs ${missing.join(', ')}, which a k6-operator run does not bring: its verdict is inconclusive`] : [];
  });
  const startedAt = new Date(window.start || Date.parse(plan.renderedAt)).toISOString();
  const journal: Journal = {
    schemaVersion: journalSchemaVersion,
    runId: plan.runId,
    scenario: plan.plan.name,
    status: 'completed',
    exitCode: exitCodeFor('completed', verdicts),
    startedAt,
    endedAt: new Date(window.end || Date.parse(startedAt)).toISOString(),
    plan: { ...plan.plan, units: plan.units },
    target: {
      kind: 'gateway',
      entryUrl: plan.gatewayUrl,
      fleet: 'attached',
      healthPath: 'none',
      notes: [
        `the load was sent by k6-operator's TestRun ${plan.runId} in namespace ${plan.namespace}, ${plan.parallelism} runner${plan.parallelism === 1 ? '' : 's'} each running its execution segment (${runners.map((r) => r.pod).join(', ')}); judged by \`spillway k8s collect\` from their merged raw samples`,
        ...(plan.plan.timeline.length > 0 ? [`the scenario's fault timeline (${plan.plan.timeline.map((s) => s.id).join(', ')}) was not applied: runners send traffic only (--traffic-only)`] : []),
        ...lacking,
      ],
    },
    tools: [],
    timeline: [],
    k6: { exitCode: null, signal: null, meaning: `ran on the cluster in ${runners.length} runner pods; their exits are the TestRun's (kubectl get testrun ${plan.runId})`, startedAt: window.start ? startedAt : null, endedAt: window.end ? new Date(window.end).toISOString() : null, bundle: null },
    evidenceSources: evidence.sources,
    evidence: {
      client: relative(runDir, paths.client),
      k6SummaryExport: relative(runDir, paths.k6SummaryExport),
      ...Object.fromEntries(runners.map((r) => [`runner:${r.pod}`, r.samples])),
      journal: 'journal.json',
    },
    ...(input.expectations ? { expectations: { mode: 'file' as const, file: input.expectations.file, description: describeExpectations({ mode: 'file', file: input.expectations.file }) } } : {}),
    verdicts,
    phases: { analysis: Date.now() - started },
  };
  const journalFile = join(runDir, 'journal.json');
  writeJournal(journalFile, journal);
  writeFileSync(join(runDir, 'junit.xml'), renderJUnit(journal));
  return { journal, journalFile };
}
