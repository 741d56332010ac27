/**
 * A drill file (drills/<name>.drill.json): one operational playbook event, drilled in the shape
 * Chaos Toolkit experiments have (a steady-state hypothesis of probes with tolerances, checked
 * before and after; a method; rollbacks that always run), plus what Spillway adds: the verifiers
 * that judge the gateway's behaviour and the detection queries the on-call team would run.
 *
 * JSON, like k6.config.json, so that a method's plan is the very JSON a scenario of
 * k6.config.json is (copied either way) and zod's issue paths are the file's own paths.
 *
 * Everything is checked here, before anything starts: an unknown probe or step kind, a
 * tolerance no value can meet (min above max, a share above 1), a window outside the method's
 * load or overlapping its faults, a verdict probe of a verifier the drill does not run, a
 * scenario or consumer k6.config.json does not have. Every error names the file and the field.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { loadK6Config, scenarioPlan, scenarioPlanSchema, verifierNames, type K6Config, type ScenarioPlan } from '../run/scenario-plan.ts';

export class DrillFileError extends UserFacingError {}

/** The events a drill can drill: the seed guide's operational playbook, and two from its architecture guide. */
export const playbookEvents = [
  '429 spike on one subscription',
  'latency spike on backend',
  'token-budget exhausted',
  'auth failures spike',
  'backend pool member ejected',
  'self-hosted gateway disconnected from control plane',
  'PTU saturation with spillover',
  'regional outage with failover',
] as const;

/** A numeric tolerance: the measured value must lie in [min, max]; at least one bound. */
const range = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((r) => r.min !== undefined || r.max !== undefined, 'give min, max or both')
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min is above max: no value can meet this tolerance');

/** Seconds from k6's start, [fromSeconds, toSeconds). */
const window = z
  .strictObject({ fromSeconds: z.number().min(0), toSeconds: z.number().positive() })
  .refine((w) => w.fromSeconds < w.toSeconds, 'fromSeconds must be before toSeconds: the window is empty');

/** A number read from a query's result: one column, over the rows that match `where`. */
const kqlValue = z.strictObject({
  column: z.string().min(1).optional(),
  /** sum, max or min of `column` over the matching rows, or how many rows matched (no column). */
  aggregate: z.enum(['sum', 'max', 'min', 'rows']),
  /** Only result rows whose columns equal these values (e.g. { "ApimSubscriptionId": "dev-test" }). */
  where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

const kqlQuery = z.string().min(1);

/** A request status range, e.g. 2xx: { min: 200, max: 299 }. */
const statusRange = z
  .strictObject({ min: z.int().min(100).max(599), max: z.int().min(100).max(599) })
  .refine((r) => r.min <= r.max, 'min is above max: no status can meet this tolerance');

/**
 * Requests an http probe sends itself, as Chaos Toolkit's http probes do, rather than judging
 * k6's: `count` requests through the gateway with `consumer`'s subscription key (the key the
 * target gives k6; never written down), once at the end of the before window and once at the
 * start of the after window. Default a small chat completion of the method's deployment.
 */
const probeRequest = z.strictObject({
  consumer: z.string().min(1),
  count: z.int().min(1).max(100),
  /** After the gateway's base URL (and the plan's apiBasePath), query included; default the chat completions path of the plan's deployment and api-version. */
  path: z.string().regex(/^\/[^\s#]*$/, 'a path starting with "/", without spaces or a fragment').optional(),
  method: z.enum(['GET', 'POST']).default('POST'),
  /** The JSON body of a POST; default a one-word chat completion (max_tokens 5). */
  body: z.record(z.string(), z.unknown()).optional(),
  /** A request not answered within this counts as status 0 (as k6 counts a timeout). */
  timeoutMs: z.int().min(100).max(120_000).default(10_000),
  /** Pause between two requests. */
  intervalMs: z.int().min(0).max(10_000).default(100),
});

const httpProbe = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('http'),
  /** Send its own requests instead of judging the method's (see probeRequest). */
  request: probeRequest.optional(),
  /** Only this consumer class's requests; default every request. */
  consumer: z.string().optional(),
  status: statusRange,
  /** The share of the window's requests whose status is in range, at least. */
  minShare: z.number().gt(0, 'a share of 0 is met by anything: give one above 0').max(1, 'a share above 1 cannot be met').default(1),
  /** The latency bound: this quantile of the window's request durations, at most maxMs. */
  latency: z.strictObject({ quantile: z.number().gt(0).max(1), maxMs: z.number().positive() }).optional(),
  /** Fewer requests in the window than this: too little to judge (inconclusive). */
  minRequests: z.int().min(1).default(5),
});

const kqlProbe = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('kql'),
  query: kqlQuery,
  value: kqlValue,
  tolerance: range,
});

const verdictProbe = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('verdict'),
  /** A verdict's check, or its verifier's name: every verdict whose check starts with it counts. */
  check: z.string().min(1),
  status: z.array(z.enum(['pass', 'fail', 'inconclusive'])).min(1).default(['pass']),
});

const probe = z.discriminatedUnion('kind', [httpProbe, kqlProbe, verdictProbe]);

const detection = z.strictObject({
  name: z.string().min(1),
  /** Where the query comes from: the seed guide's dashboard, or what the drill needs. */
  source: z.string().min(1).optional(),
  query: kqlQuery,
  /** Default the method's whole load. */
  window: window.optional(),
  expect: kqlValue,
  tolerance: range,
});

const rollback = z.discriminatedUnion('kind', [
  /**
   * Clears the fleet's fault rules (all, or a backend's or a region's) through its control API,
   * when the fleet is still running: an attached fleet outlives the drill, while the embedded
   * default's stops with the run and has nothing left to undo.
   */
  z.strictObject({ kind: z.literal('clear-fleet-faults'), backend: z.string().optional(), region: z.string().optional() }),
]);

/**
 * The load and faults: a scenario of k6.config.json by name, or a plan written out (the same
 * JSON as a scenario there). One object with both optional, rather than a union, so that a
 * mistake inside the plan is reported at its own field.
 */
const method = z
  .strictObject({ $comment: z.string().optional(), scenario: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(), plan: scenarioPlanSchema.optional() })
  .refine((m) => (m.scenario === undefined) !== (m.plan === undefined), 'give the method either a scenario (of k6.config.json) or a plan, not both');

export const drillFileSchema = z.strictObject({
  $comment: z.string().optional(),
  title: z.string().min(1),
  description: z.string().min(1),
  playbookEvent: z.enum(playbookEvents),
  steadyStateHypothesis: z.strictObject({
    title: z.string().min(1),
    /** The steady window before the method's first fault, and after its last one is undone. */
    before: window,
    after: window,
    probes: z.array(probe).min(1),
  }),
  /**
   * A folder, relative to the drill file's, whose files are laid over a copy of the gateway
   * configuration (`--config`, default deploy/apim) for this drill alone: a policy the drill
   * needs that the sample does not have (a token quota small enough to exhaust in seconds).
   */
  configOverlay: z.string().min(1).optional(),
  method,
  /** The verifiers that judge the behaviour over the whole method (they replace the plan's). */
  verifiers: z.array(z.enum(verifierNames)).default([]),
  detection: z.array(detection).default([]),
  rollbacks: z.array(rollback).default([]),
});

export type DrillFile = z.output<typeof drillFileSchema>;
export type Probe = DrillFile['steadyStateHypothesis']['probes'][number];
export type HttpProbe = Extract<Probe, { kind: 'http' }>;
export type KqlProbe = Extract<Probe, { kind: 'kql' }>;
export type VerdictProbe = Extract<Probe, { kind: 'verdict' }>;
export type Detection = DrillFile['detection'][number];
export type KqlValue = z.output<typeof kqlValue>;
export type Tolerance = z.output<typeof range>;
export type Rollback = DrillFile['rollbacks'][number];
export type DrillWindow = z.output<typeof window>;

/** A drill as it will run: its file, its name, and the plan its method resolves to. */
export interface Drill {
  name: string;
  file: string;
  spec: DrillFile;
  /** The method's plan, named after the drill, with the drill's verifiers. */
  plan: ScenarioPlan;
  /** The k6 configuration its consumers come from. */
  config: K6Config;
  configFile: string;
  /** configOverlay, resolved against the drill file's folder; null without one. */
  configOverlayDir: string | null;
}

/** drills/<name>.drill.json: the name is the file's. */
export const drillSuffix = '.drill.json';

export function drillNameOf(file: string): string {
  return basename(file).slice(0, -drillSuffix.length);
}

/** Reads and checks a drill file against the k6 configuration whose consumers (and scenarios) it uses. */
export function loadDrill(file: string, k6ConfigFile: string): Drill {
  if (!file.endsWith(drillSuffix)) throw new DrillFileError(`${file}: a drill file is named <name>${drillSuffix}`);
  const name = drillNameOf(file);
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new DrillFileError(`${file}: the drill's name "${name}" must be lowercase letters, digits and dashes, starting with a letter`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DrillFileError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `not valid JSON: ${error instanceof Error ? error.message : String(error)}`}`);
  }
  const parsed = drillFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DrillFileError(`invalid drill file:\n${parsed.error.issues.map((i) => `  ${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n')}`);
  }
  const spec = parsed.data;
  let config: K6Config;
  try {
    config = loadK6Config(k6ConfigFile);
  } catch (error) {
    throw new DrillFileError(`${file}: cannot read the k6 configuration its consumers come from: ${error instanceof Error ? error.message : String(error)}`);
  }
  let base: ScenarioPlan;
  if (spec.method.scenario !== undefined) {
    if (!config.scenarios[spec.method.scenario]) throw new DrillFileError(`${file}: method.scenario: "${spec.method.scenario}" is not a scenario of ${k6ConfigFile} (it has ${Object.keys(config.scenarios).join(', ')})`);
    base = scenarioPlan(config, spec.method.scenario, k6ConfigFile);
  } else {
    base = { ...spec.method.plan!, name };
  }
  const plan: ScenarioPlan = { ...base, name, verifiers: spec.verifiers };
  const problems = crossCheck(spec, plan, config);
  const configOverlayDir = spec.configOverlay === undefined ? null : resolve(dirname(file), spec.configOverlay);
  if (configOverlayDir !== null && !isDirectory(configOverlayDir)) problems.push(`configOverlay: "${spec.configOverlay}" is not a folder (resolved against the drill file's folder: ${configOverlayDir})`);
  if (problems.length > 0) throw new DrillFileError(`invalid drill file:\n${problems.map((p) => `  ${file}: ${p}`).join('\n')}`);
  return { name, file, spec, plan, config, configFile: k6ConfigFile, configOverlayDir };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What the schema alone cannot see: the drill against its plan and the consumers there are. */
function crossCheck(spec: DrillFile, plan: ScenarioPlan, config: K6Config): string[] {
  const problems: string[] = [];
  const { before, after, probes } = spec.steadyStateHypothesis;
  const duration = plan.durationSeconds;
  const where = spec.method.scenario !== undefined ? `method.scenario (${spec.method.scenario})` : 'method.plan';
  plan.traffic.forEach((t, i) => {
    if (!config.consumers[t.consumer]) problems.push(`${where}.traffic.${i}.consumer: "${t.consumer}" is not a consumer class (known: ${Object.keys(config.consumers).join(', ')})`);
  });
  const ids = new Set<string>();
  for (const step of plan.timeline) {
    if (ids.has(step.id)) problems.push(`${where}.timeline.${step.id}.id: another step has this id; each step needs its own`);
    ids.add(step.id);
    if (step.at >= duration) problems.push(`${where}.timeline.${step.id}.at: ${step.at} s is not before the method ends (${duration} s)`);
  }
  for (const [label, w] of [['before', before], ['after', after]] as const) {
    if (w.toSeconds > duration) problems.push(`steadyStateHypothesis.${label}.toSeconds: ${w.toSeconds} s is after the method's load ends (${duration} s)`);
  }
  // The hypothesis holds of a steady gateway: the before window must end before the first
  // fault, the after window start once the last one is undone.
  const firstFault = Math.min(...plan.timeline.map((s) => s.at));
  const lastUndone = Math.max(...plan.timeline.map((s) => (s.for === undefined ? Number.POSITIVE_INFINITY : s.at + s.for)));
  if (plan.timeline.length > 0 && before.toSeconds > firstFault) problems.push(`steadyStateHypothesis.before.toSeconds: ${before.toSeconds} s is after the method's first fault (${firstFault} s): the window is not steady`);
  if (plan.timeline.length > 0 && after.fromSeconds < lastUndone) {
    problems.push(`steadyStateHypothesis.after.fromSeconds: ${after.fromSeconds} s is before the method's last fault is undone (${Number.isFinite(lastUndone) ? `${lastUndone} s` : 'a step without "for" lasts until the end'})`);
  }
  if (before.toSeconds > after.fromSeconds) problems.push('steadyStateHypothesis.after.fromSeconds: the after window starts before the before window ends');
  probes.forEach((p, i) => {
    if (p.kind === 'http' && p.request !== undefined) {
      if (p.consumer !== undefined) problems.push(`steadyStateHypothesis.probes.${i}.consumer: a probe with its own requests judges only those: give the consumer as request.consumer`);
      if (!config.consumers[p.request.consumer]) problems.push(`steadyStateHypothesis.probes.${i}.request.consumer: "${p.request.consumer}" is not a consumer class (known: ${Object.keys(config.consumers).join(', ')})`);
      if (p.request.count < p.minRequests) problems.push(`steadyStateHypothesis.probes.${i}.request.count: ${p.request.count} request(s) are fewer than minRequests (${p.minRequests}): the probe could never be judged`);
      if (p.request.method === 'GET' && p.request.body !== undefined) problems.push(`steadyStateHypothesis.probes.${i}.request.body: a GET sends no body`);
    } else if (p.kind === 'http' && p.consumer !== undefined && !plan.traffic.some((t) => t.consumer === p.consumer)) {
      problems.push(`steadyStateHypothesis.probes.${i}.consumer: "${p.consumer}" sends nothing in this drill's method (it sends ${[...new Set(plan.traffic.map((t) => t.consumer))].join(', ')})`);
    }
    if (p.kind === 'kql') problems.push(...valueProblems(p.value, `steadyStateHypothesis.probes.${i}.value`));
    if (p.kind === 'verdict' && !spec.verifiers.some((v) => p.check === v || p.check.startsWith(`${v}.`) || p.check.startsWith(`${v} `))) {
      problems.push(`steadyStateHypothesis.probes.${i}.check: "${p.check}" is not a check of the drill's verifiers (${spec.verifiers.join(', ') || 'none'})`);
    }
  });
  spec.detection.forEach((d, i) => {
    problems.push(...valueProblems(d.expect, `detection.${i}.expect`));
    if (d.window && d.window.toSeconds > duration) problems.push(`detection.${i}.window.toSeconds: ${d.window.toSeconds} s is after the method's load ends (${duration} s)`);
  });
  return problems;
}

function valueProblems(value: KqlValue, field: string): string[] {
  if (value.aggregate === 'rows' && value.column !== undefined) return [`${field}.column: "rows" counts the matching rows; it reads no column`];
  if (value.aggregate !== 'rows' && value.column === undefined) return [`${field}.column: ${value.aggregate} needs the column to read`];
  return [];
}
