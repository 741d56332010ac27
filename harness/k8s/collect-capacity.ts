import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { classIndexOf, vuSizing } from '../../scenarios/lib/executors.ts';
import { findKnee, type JudgedStep, type KneeOutcome } from '../capacity/find-knee.ts';
import { judgeStep, type StepJudgement } from '../capacity/judge-step.ts';
import { readClientRecords } from '../evidence/k6-samples.ts';
import type { CapacityStep, K8sPlanFile } from './k8s-plan-file.ts';
import type { RunnerFolder } from './runner-folders.ts';

/**
 * A capacity staircase run on k6-operator, judged from its runners' merged samples: each step
 * on its own window with judge-step.ts, the knee with find-knee.ts, and the figure per unit,
 * written as capacity-journal.json.
 *
 * - A step's requests are those that started during its hold (the runners start together, so
 *   the staircase's time 0 is the first request's start); its window leaves out the first
 *   settleSeconds, while the queue of the step before drains.
 * - Whether the generators kept up comes from k6's dropped_iterations samples, tagged with the
 *   step's k6 scenario (t<index>_<consumer>), summed over the runners. How many VUs were busy
 *   at once cannot be told per step from the merged samples (k6's vus gauge is per runner and
 *   per moment, not per scenario), so VU starvation is seen through the iterations it drops.
 * - The fleet behind the gateway keeps no ledger the cluster can read: whether the backend was
 *   the bottleneck is not checked, and the journal and the printout say so beside the knee.
 */
export interface CapacityCollected {
  journalFile: string;
  steps: JudgedStep[];
  knee: KneeOutcome;
  rpsPerUnit: number | null;
  lines: string[];
  exitCode: 0 | 1 | 2 | 3;
}

/** What a cluster run knows of the fleet: nothing, said as such rather than taken for "not saturated". */
export const fleetNotChecked = "not checked: a k6-operator run has no fleet ledger, so a knee could be the backend's (check the backends' own metrics for 429s and latency in the step's window)";

/** dropped_iterations summed per traffic index, from the merged raw samples. */
export async function droppedIterationsByStep(samplesFile: string): Promise<Map<number, number>> {
  const dropped = new Map<number, number>();
  for await (const line of createInterface({ input: createReadStream(samplesFile, 'utf8'), crlfDelay: Infinity })) {
    if (!line.includes('"dropped_iterations"') || !line.includes('"Point"')) continue;
    const row = JSON.parse(line) as { metric?: string; data?: { value?: number; tags?: { scenario?: string } } };
    if (row.metric !== 'dropped_iterations' || !row.data?.tags?.scenario) continue;
    const index = classIndexOf(row.data.tags.scenario);
    dropped.set(index, (dropped.get(index) ?? 0) + (row.data.value ?? 0));
  }
  return dropped;
}

export async function judgeCapacityRun(input: { plan: K8sPlanFile; runDir: string; samplesFile: string; runners: readonly RunnerFolder[]; say: (line: string) => void }): Promise<CapacityCollected> {
  const { plan } = input;
  const capacity = plan.capacity!;
  const records = await readClientRecords(input.samplesFile);
  const samples = records.map((r) => ({ time: r.time - r.durationMs, durationMs: r.durationMs, status: r.status }));
  const dropped = await droppedIterationsByStep(input.samplesFile);
  const lines: string[] = [];
  if (samples.length === 0) {
    const journalFile = join(input.runDir, 'capacity-journal.json');
    lines.push('no request was recorded by any runner: nothing to judge (did the runners reach the gateway? see their logs: kubectl logs)');
    writeFileSync(journalFile, `${JSON.stringify({ kind: 'k8s-capacity', runId: plan.runId, problem: lines[0] }, null, 2)}\n`);
    return { journalFile, steps: [], knee: { kind: 'no-knee', cause: 'fails-at-lowest-step', atRps: capacity.steps[0]!.rps, reasons: [lines[0]!] }, rpsPerUnit: null, lines, exitCode: 2 };
  }
  let origin = Number.POSITIVE_INFINITY;
  for (const s of samples) if (s.time < origin) origin = s.time;

  const judged: { step: CapacityStep; window: { start: number; end: number }; judgement: StepJudgement; droppedIterations: number }[] = [];
  for (const step of capacity.steps) {
    const sent = { start: origin + step.startSeconds * 1000, end: origin + step.endSeconds * 1000 };
    const window = { start: sent.start + capacity.settleSeconds * 1000, end: sent.end };
    // Only the step's own requests: an answer of the step before that ends in this window is not this step's throughput.
    const own = samples.filter((s) => s.time >= sent.start && s.time < sent.end);
    const droppedIterations = dropped.get(step.trafficIndex) ?? 0;
    const sizing = vuSizing(step.rps);
    const judgement = judgeStep({
      offeredRps: step.rps,
      window,
      samples: own,
      generator: { droppedIterations, vusBusyMax: 0, vusAllowed: 0, vusPreallocated: sizing.preAllocatedVUs },
      criteria: capacity.criteria,
    });
    judged.push({ step, window, judgement, droppedIterations });
    input.say(`${String(step.rps).padStart(8)} req/s offered: ${judgement.throughputRps.toFixed(1)} req/s served, p95 ${judgement.p95Ms?.toFixed(0) ?? '-'} ms, errors ${(judgement.errorRate * 100).toFixed(1)}%, dropped ${droppedIterations}: ${judgement.gatewayHeld && judgement.generatorKeptUp ? 'held' : judgement.reasons.join('; ')}`);
  }
  const steps: JudgedStep[] = judged.map((j) => ({ step: j.judgement, backend: { saturated: false, reasons: [] } }));
  const knee = findKnee(steps);
  const perUnit = (rps: number): number => rps / plan.units;
  let rpsPerUnit: number | null = null;
  let exitCode: 0 | 1 | 2 | 3;
  switch (knee.kind) {
    case 'knee':
      rpsPerUnit = perUnit(knee.rps);
      lines.push(`knee: ${knee.rps} req/s (the gateway failed at ${knee.firstFailingRps} req/s) = ${rpsPerUnit.toFixed(1)} req/s per unit over ${plan.units} unit(s), ${capacity.profile} profile`);
      exitCode = 0;
      break;
    case 'no-knee':
      if (knee.cause === 'held-at-every-step') {
        lines.push(`no knee: the gateway held at every rate tried, up to ${knee.atRps} req/s: at least ${perUnit(knee.atRps).toFixed(1)} req/s per unit (render a staircase with a higher --max-rps to find the knee)`);
        exitCode = 3;
      } else if (knee.cause === 'generator-saturated') {
        lines.push(`no knee: the runners could not keep up at ${knee.atRps} req/s (${knee.reasons.join('; ')}); the gateway's capacity is not known from this run. Render with more --parallelism, or give the runners more CPU`);
        exitCode = 3;
      } else {
        lines.push(`no knee: the gateway failed already at the lowest step, ${knee.atRps} req/s (${knee.reasons.join('; ')}); the SLO (p95 ${capacity.criteria.sloP95Ms} ms, errors ${capacity.criteria.errorBudget}) cannot be met, or --start-rps is too high`);
        exitCode = 2;
      }
      break;
  }
  lines.push(`the fleet's saturation was ${fleetNotChecked}`);
  lines.push('a TestRun is a fixed plan: no bisection between the last passing and the first failing step, and no failing step held again to confirm it (the knee is as fine as --step-rps)');
  const journalFile = join(input.runDir, 'capacity-journal.json');
  const journal = {
    kind: 'k8s-capacity',
    runId: plan.runId,
    gatewayUrl: plan.gatewayUrl,
    units: plan.units,
    parallelism: plan.parallelism,
    runners: input.runners.map((r) => r.pod),
    profile: capacity.profile,
    criteria: capacity.criteria,
    holdSeconds: capacity.holdSeconds,
    settleSeconds: capacity.settleSeconds,
    steps: judged.map((j) => ({ ...j.judgement, window: j.window, droppedIterations: j.droppedIterations, backend: fleetNotChecked })),
    knee,
    rpsPerUnit,
    conclusion: lines,
    samples: 'k6-samples.json',
  };
  writeFileSync(journalFile, `${JSON.stringify(journal, null, 2)}\n`);
  return { journalFile, steps, knee, rpsPerUnit, lines, exitCode };
}
