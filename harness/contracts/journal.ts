import { z } from 'zod';
import { appliedFaultSchema, evidenceSourceSchema } from './evidence.ts';
import { scenarioPlanSchema } from './scenario-plan.ts';
import { verdictSchema } from './verdict.ts';

/**
 * The run journal (results/<run-id>/journal.json): everything needed to understand and
 * re-judge a run without re-running it. Written at the end of every run, complete or not
 * (harness/run/journal.ts); secrets (subscription keys) are never part of it. Reports render
 * from it alone.
 *
 * `schemaVersion` says which shape a journal has, so that a reader (a report, a later Spillway
 * comparing runs) can refuse one it does not know instead of misreading it. Raise it whenever a
 * field is removed, renamed or changes meaning; a new optional field does not need it.
 *
 * Version 1 (the first journal to carry a version) holds: runId, scenario, status
 * (completed | incomplete | interrupted), exitCode (0 pass, 1 deviation, 2 harness failure,
 * 3 inconclusive), startedAt and endedAt (ISO-8601), the resolved plan with its name and
 * --units, the target (embedded or remote, its entry URL, the topology), the tools used (k6's
 * name, version, path and source), the fault timeline as applied (epoch ms), k6's exit (code,
 * signal, meaning, start and end, the bundle), the evidence files (name to path in the run
 * folder), where the expectations came from (when there were any), the verdicts, each phase's
 * wall time in ms, and why the run did not complete (when it did not).
 *
 * Version 2 (issue #13): timeline steps are typed by kind (`fleet-fault`, `region-down`) and
 * each applied step carries its planned step, a scope and a rollback error; the target is
 * `embedded` or `gateway` with how its fleet came to be, its health check and its notes;
 * each verdict lists the evidence kinds it used, and the journal the evidence sources.
 */
export const journalSchemaVersion = 2;

export const runStatusSchema = z.enum(['completed', 'incomplete', 'interrupted']);
export type RunStatus = z.infer<typeof runStatusSchema>;

/**
 * 0: every verdict passed; 1: the gateway deviated (a verdict failed); 2: the harness could
 * not complete the run; 3: inconclusive (the run completed, but a verdict had too little
 * evidence to judge, or there was no verdict at all). See exitCodeFor (harness/run/journal.ts).
 */
export const runExitCodeSchema = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]);
export type RunExitCode = z.infer<typeof runExitCodeSchema>;

/**
 * Where the verifiers' expectations came from, and so which question the verdicts answer
 * (harness/run/expectations-mode.ts), with the line printed for it.
 */
export const journalExpectationsSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('configuration-under-test'), dir: z.string(), description: z.string() }),
  z.strictObject({ mode: z.literal('intended-configuration'), dir: z.string(), gatewayConfigDir: z.string(), description: z.string() }),
  z.strictObject({ mode: z.literal('file'), file: z.string(), description: z.string() }),
]);

const isoTime = z.iso.datetime();

/**
 * What a run drove (harness/targets): the embedded default (the emulator and the mock fleet,
 * all started by the run), or a gateway at a URL with Spillway's fleet behind it, started by the
 * run on fixed ports or attached to. No keys, no control token.
 */
export const journalTargetSchema = z.strictObject({
  kind: z.enum(['embedded', 'gateway', 'apim']),
  entryUrl: z.string(),
  /** How the fleet behind the gateway came to be: started by this run, or already running. */
  fleet: z.enum(['started', 'attached']),
  /** The health check the preflight made ('none' when turned off). */
  healthPath: z.string(),
  /** The embedded topology's endpoints, or the attached fleet's description. */
  topology: z.unknown().optional(),
  /** What the target said before the run about steps it applies only in part. */
  notes: z.array(z.string()).default([]),
  /** Where the gateway's own logs came from (a Log Analytics workspace), and how late its rows arrived. */
  gatewayLogs: z.strictObject({ source: z.string(), ingestionLagMs: z.strictObject({ p50: z.number(), max: z.number() }).optional(), preflightLagMs: z.strictObject({ p50: z.number(), max: z.number() }).optional() }).optional(),
});
export type JournalTarget = z.output<typeof journalTargetSchema>;

export const journalSchema = z.strictObject({
  schemaVersion: z.literal(journalSchemaVersion),
  runId: z.string().min(1),
  scenario: z.string().min(1),
  status: runStatusSchema,
  /** What the run's process exits with (exitCodeFor). */
  exitCode: runExitCodeSchema,
  startedAt: isoTime,
  endedAt: isoTime,
  /** The plan as run: defaults applied, with its name and the --units its rates were scaled by. */
  plan: scenarioPlanSchema.extend({ name: z.string().min(1), units: z.number().positive() }),
  /** What was driven: the embedded emulator or a remote gateway, its entry URL and (embedded) the topology started. */
  target: journalTargetSchema,
  /** The tools the run used (k6), and where each came from. */
  tools: z.array(z.strictObject({ name: z.string(), version: z.string(), path: z.string(), source: z.string() })),
  timeline: z.array(appliedFaultSchema),
  /** k6's own exit: its code or the signal that ended it, in words, and when it ran (ISO-8601). */
  k6: z.strictObject({
    exitCode: z.int().nullable(),
    signal: z.string().nullable(),
    meaning: z.string(),
    startedAt: isoTime.nullable(),
    endedAt: isoTime.nullable(),
    /** The bundled scenario script k6 ran. */
    bundle: z.string().nullable(),
    /** How many k6 processes (load generators) shared the load; absent in older journals: one. */
    loadGenerators: z.int().min(1).optional(),
    /**
     * With several load generators, each one's execution segment and exit; the fields above are
     * then the run's (the worst exit, the earliest start, the latest end: harness/run/k6-generators.ts).
     */
    generators: z
      .array(z.strictObject({ index: z.int().min(0), segment: z.string(), exitCode: z.int().nullable(), signal: z.string().nullable(), meaning: z.string(), startedAt: isoTime, endedAt: isoTime }))
      .optional(),
  }),
  /** What each kind of evidence amounted to (collected, absent from this target, incomplete and why). */
  evidenceSources: z.array(evidenceSourceSchema).optional(),
  /** Evidence files by name (ledger, gatewayLogs, ...), as paths in the run folder. */
  evidence: z.record(z.string(), z.string()),
  /**
   * Where the verifiers' expectations came from, and so which question the verdicts answer;
   * absent when there were none (a remote gateway without a file).
   */
  expectations: journalExpectationsSchema.optional(),
  /**
   * Each consumer class's per-minute token budget as the verifiers held the gateway to it
   * (counted by each gateway instance on its own), so a report can draw it; absent when the run
   * had no expectations, and in journals written before it was added.
   */
  tokenBudgets: z.record(z.string(), z.strictObject({ tokensPerMinute: z.number().positive() })).optional(),
  verdicts: z.array(verdictSchema),
  /** Phases' wall time in ms, for the benchmark and for people. */
  phases: z.record(z.string(), z.number().min(0)),
  /** Why the run did not complete, when it did not. */
  problem: z.string().optional(),
});
export type Journal = z.infer<typeof journalSchema>;
