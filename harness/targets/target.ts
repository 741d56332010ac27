/**
 * What a run drives. A target is everything on the far side of k6: the entry URL, the keys its
 * consumers use, the fleet behind it (started by the run or attached to), the fault injectors
 * it has by step kind, the evidence it can bring back, and how it comes up, proves itself and
 * goes down. The run (harness/run/run-scenario.ts) is the same pipeline whatever the target;
 * each new kind of target (a real APIM reading Log Analytics, containers) is one more
 * implementation of this interface, not another branch in the run.
 *
 * Two phases: a Target is what can be known before anything starts (which step kinds it
 * applies, what it says about the plan, which evidence it brings), so that a plan it cannot
 * run is refused with nothing started; `up()` starts or attaches to what it needs and
 * returns the RunningTarget the run drives.
 */
import type { FleetDescription } from '../contracts/fleet-description.ts';
import { evidenceKinds, type EvidenceKind, type EvidenceSource } from '../contracts/evidence.ts';
import type { JournalTarget } from '../contracts/journal.ts';
import type { FaultInjectors } from '../run/fault-timeline.ts';
import type { PreflightRecord } from './preflight.ts';
import type { ScenarioPlan, StepKind, TimelineStep } from '../run/scenario-plan.ts';
import type { UtilisationSource } from '../capacity/utilisation/utilisation-source.ts';

export type TargetKind = JournalTarget['kind'];

/** What the run hands a target as it comes up: where to write, and how to report progress. */
export interface TargetSetup {
  plan: ScenarioPlan;
  /** The run's id: the marker its requests carry (`x-spillway-run`). */
  runId: string;
  /** The run folder's evidence files (harness/evidence/collect-evidence.ts evidencePaths). */
  ledgerPath: string;
  logsDir: string;
  seed?: number;
  say: (line: string) => void;
}

export interface Target {
  readonly kind: TargetKind;
  /** The step kinds it can apply; a plan with another kind is refused before anything starts. */
  readonly stepKinds: readonly StepKind[];
  /** The evidence it brings back; every other kind is absent, and verifiers that need it say so. */
  readonly evidenceKinds: readonly EvidenceKind[];
  /**
   * What it will do differently from what a step asks, by step id, said before the run starts
   * and recorded with the step (a region going down when the gateway is somebody else's).
   */
  stepScopes(steps: readonly TimelineStep[]): Map<string, string>;
  /** What in the plan this target cannot run, as `scenarios.<name>.<field>: why` (empty: all of it). */
  planProblems(plan: ScenarioPlan): string[];
  /** What the run should know before it starts about how this target runs the plan (printed, kept in the journal). */
  notes(plan: ScenarioPlan): string[];
  up(setup: TargetSetup): Promise<RunningTarget>;
}

export interface RunningTarget {
  /** Where k6 sends its traffic. */
  readonly entryUrl: string;
  /** The fleet behind the gateway as it runs (backends, capacities, control API). */
  readonly fleet: FleetDescription;
  /** One injector per step kind in Target.stepKinds. */
  readonly injectors: FaultInjectors;
  /**
   * The subscription key a consumer class sends. It goes to k6's environment only: never to
   * the journal, the terminal or a report.
   */
  keyFor(consumer: string): string;
  /** For the journal: what was driven (the run adds its notes). No secrets. */
  describe(): Omit<JournalTarget, 'notes'>;
  /**
   * Proves, before any load, that the gateway answers and reaches the fleet. Throws a
   * UserFacingError naming what was checked and what failed. Resolves to the ledger records
   * its own requests left, which the run keeps out of the evidence.
   */
  preflight(): Promise<PreflightRecord[]>;
  /**
   * The gateway's own utilisation, where it can be read: the emulator's capacity model, a real
   * APIM's Azure Monitor metrics (target file `metrics`); absent otherwise. `spillway capacity`
   * reports it beside each step's latency.
   */
  readonly utilisation?: UtilisationSource;
  /** A few words of progress for the terminal (backend requests so far), every 15 s. */
  progress(): string;
  /**
   * Ends evidence collection (the ledger and logs are complete in the run folder) and says
   * what each kind in Target.evidenceKinds amounts to; every other kind is absent (the run
   * says so, absentEvidence). Called once k6 and the timeline have stopped.
   */
  finishEvidence(load: FinishedLoad): Promise<EvidenceSource[]>;
  /** Stops whatever the target started; safe to call twice, and after a failed up(). */
  close(): Promise<void>;
}

/** What the run knows of the load once k6 has ended, for a target that must find its evidence. */
export interface FinishedLoad {
  /** k6's start and end, epoch ms. */
  window: { start: number; end: number };
  /** Requests k6 sent (its http_reqs count): how many gateway rows to wait for. */
  requestsSent: number;
  /** The run marker every request carried (`x-spillway-run`). */
  runId: string;
  /**
   * The evidence kinds the run will judge, when not every one the target brings: a capacity run
   * judges the client's samples and the fleet's ledger only, so a real APIM's workspace is not
   * waited on for its rows. Absent: all of them.
   */
  judges?: readonly EvidenceKind[];
}

/** The steps of a plan this target cannot apply, as one message; null when it can apply them all. */
export function refusedSteps(target: Target, steps: readonly TimelineStep[]): string | null {
  const refused = steps.filter((step) => !target.stepKinds.includes(step.kind));
  if (refused.length === 0) return null;
  return `the ${target.kind} target cannot apply ${refused.map((step) => `step "${step.id}" (kind ${step.kind})`).join(', ')}: it applies ${target.stepKinds.length > 0 ? target.stepKinds.join(', ') : 'no fault steps'}`;
}

/**
 * The evidence kinds a target does not bring, as absent sources: said once, from what it
 * declares, so that the kinds it brings and the kinds it lacks cannot drift apart.
 */
export function absentEvidence(target: Pick<Target, 'kind' | 'evidenceKinds'>, why: string): EvidenceSource[] {
  return evidenceKinds.filter((kind) => kind !== 'client' && !target.evidenceKinds.includes(kind)).map((kind) => ({ kind, status: 'absent' as const, note: `${why} (${kind})` }));
}
