/**
 * The resolved plan a scenario script runs: the harness builds it from k6.config.json (rates
 * already scaled by --units, the gateway's URL and the subscription keys filled in) and hands it
 * over as JSON in the environment variable SPILLWAY_PLAN.
 *
 * Checked by hand rather than with zod: the bundle stays small and free of anything k6's
 * runtime might not support, and every problem is reported at once with its field path.
 * Subscription keys and bearer tokens are secrets: no message ever quotes one, nor the plan's text.
 */
export type Priority = 'high' | 'medium' | 'low' | 'none';
export type Operation = 'chat' | 'embeddings';

/** A size: fixed, or a whole number drawn uniformly from [min, max] per request. */
export type Distribution = { kind: 'fixed'; value: number } | { kind: 'uniform'; min: number; max: number };

export interface PlanTraffic {
  /** Consumer class (k6.config.json): critical-ops, user-facing, batch, dev-test. */
  consumer: string;
  /** The APIM subscription key, sent in the api-key header. Secret: never logged or tagged. */
  key: string;
  /**
   * The bearer token sent in `Authorization: Bearer …` (absent: none), minted or read by the
   * harness (harness/auth). Secret, as the key: never logged, tagged or quoted in a message.
   */
  bearer?: string;
  /** X-Priority to send; 'none' sends no header. */
  priority: Priority;
  /** Requests per second, already scaled by the gateway units. */
  rate: number;
  operation: Operation;
  stream: boolean;
  /** Prompt size in words (a number is a fixed size). */
  promptWords: Distribution;
  /** max_tokens of chat requests (a number is a fixed value). */
  maxTokens: Distribution;
  /** Seconds from k6's start when this class starts and stops sending (end defaults to the run's end). */
  startSeconds: number;
  endSeconds: number;
  /**
   * A cap on this class's VUs (absent: sized from its rate, executors.ts vuSizing). A capacity
   * run caps them on purpose to show that a starved generator is reported as such.
   */
  maxVUs?: number;
}

export interface SpillwayPlan {
  /** The scenario's name (smoke, spillover, …); also the `scenario` tag of every sample. */
  name: string;
  durationSeconds: number;
  /** Gateway units the rates were scaled by (reported in the summary). */
  units: number;
  /** Front door or regional gateway origin, no trailing slash. */
  baseUrl: string;
  apiVersion: string;
  /** Chat deployment name, e.g. gpt-4o. */
  deployment: string;
  /** Embeddings deployment name, e.g. text-embedding-3-small. */
  embeddingDeployment: string;
  traffic: PlanTraffic[];
  /** k6 thresholds: metric (with optional tag filter) → expressions. */
  thresholds: Record<string, string[]>;
  /** k6's summaryTrendStats; undefined (or an empty list in the JSON) leaves k6's default. */
  summaryTrendStats: string[] | undefined;
  /** Absolute path where handleSummary writes the machine-readable summary. */
  summaryPath: string;
  /**
   * The run's id, sent on every request as `x-spillway-run` so that a real gateway's logs can be
   * told apart by run (APIM logs it when its diagnostic setting logs that header); '' sends none.
   */
  runId: string;
}

export const PLAN_ENV = 'SPILLWAY_PLAN';

export class PlanError extends Error {
  override name = 'PlanError';
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** Collects problems with their field paths, so one run of k6 reports all of them. */
class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
  string(object: Json, field: string, path: string): string {
    const value = object[field];
    if (isNonEmptyString(value)) return value;
    this.add(`${path}${field}`, value === undefined ? 'missing' : 'must be a non-empty string');
    return '';
  }
  positive(object: Json, field: string, path: string): number {
    const value = object[field];
    if (isFiniteNumber(value) && value > 0) return value;
    this.add(`${path}${field}`, value === undefined ? 'missing' : 'must be a positive number');
    return 1;
  }
  oneOf<T extends string>(object: Json, field: string, path: string, allowed: readonly T[]): T {
    const value = object[field];
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.add(`${path}${field}`, value === undefined ? `missing (one of ${allowed.join(', ')})` : `must be one of ${allowed.join(', ')}`);
    return allowed[0] as T;
  }
  distribution(object: Json, field: string, path: string): Distribution {
    const value = object[field];
    const where = `${path}${field}`;
    const wholeAtLeastOne = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1;
    if (wholeAtLeastOne(value)) return { kind: 'fixed', value };
    if (isObject(value) && value.kind === 'fixed' && wholeAtLeastOne(value.value)) return { kind: 'fixed', value: value.value };
    if (isObject(value) && value.kind === 'uniform' && wholeAtLeastOne(value.min) && wholeAtLeastOne(value.max)) {
      if (value.max < value.min) this.add(where, 'uniform max is below min');
      return { kind: 'uniform', min: value.min, max: Math.max(value.min, value.max) };
    }
    this.add(where, value === undefined ? 'missing' : 'must be a whole number >= 1, {"kind":"fixed","value":n} or {"kind":"uniform","min":a,"max":b}');
    return { kind: 'fixed', value: 1 };
  }
}

const priorities = ['high', 'medium', 'low', 'none'] as const;
const operations = ['chat', 'embeddings'] as const;

function parseTraffic(raw: unknown, index: number, durationSeconds: number, problems: Problems): PlanTraffic {
  const path = `traffic[${index}].`;
  if (!isObject(raw)) {
    problems.add(`traffic[${index}]`, 'must be an object');
    return { consumer: '', key: '', priority: 'none', rate: 1, operation: 'chat', stream: false, promptWords: { kind: 'fixed', value: 1 }, maxTokens: { kind: 'fixed', value: 1 }, startSeconds: 0, endSeconds: durationSeconds };
  }
  const consumer = problems.string(raw, 'consumer', path);
  // The key is checked for presence and type only; its value never reaches a message.
  const key = isNonEmptyString(raw.key) ? raw.key : '';
  if (key === '') problems.add(`${path}key`, raw.key === undefined ? 'missing (the subscription key)' : 'must be a non-empty string (the subscription key)');
  // Optional; like the key, its value never reaches a message. It goes in a header as it is,
  // so a line break or a space (a header injected, a second scheme) is refused.
  let bearer: string | undefined;
  if (raw.bearer !== undefined && raw.bearer !== null) {
    if (typeof raw.bearer !== 'string' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(raw.bearer)) problems.add(`${path}bearer`, 'must be a bearer token (letters, digits and - . _ ~ + / =, no spaces)');
    else bearer = raw.bearer;
  }
  const priority = problems.oneOf(raw, 'priority', path, priorities);
  const rate = problems.positive(raw, 'rate', path);
  const operation = problems.oneOf(raw, 'operation', path, operations);
  if (typeof raw.stream !== 'boolean') problems.add(`${path}stream`, raw.stream === undefined ? 'missing' : 'must be true or false');
  const stream = raw.stream === true;
  if (stream && operation === 'embeddings') problems.add(`${path}stream`, 'embeddings cannot stream');
  const promptWords = problems.distribution(raw, 'promptWords', path);
  const maxTokens = problems.distribution(raw, 'maxTokens', path);

  let startSeconds = 0;
  if (!isFiniteNumber(raw.startSeconds) || raw.startSeconds < 0) problems.add(`${path}startSeconds`, raw.startSeconds === undefined ? 'missing' : 'must be a number >= 0');
  else startSeconds = raw.startSeconds;
  let endSeconds = durationSeconds;
  if (raw.endSeconds !== undefined && raw.endSeconds !== null) {
    if (!isFiniteNumber(raw.endSeconds)) problems.add(`${path}endSeconds`, 'must be a number (or null for the end of the run)');
    else endSeconds = raw.endSeconds;
  }
  if (endSeconds > durationSeconds) problems.add(`${path}endSeconds`, `is after the run ends (${durationSeconds} s)`);
  if (endSeconds <= startSeconds) problems.add(`${path}endSeconds`, `must be after startSeconds (${startSeconds} s)`);
  let maxVUs: number | undefined;
  if (raw.maxVUs !== undefined && raw.maxVUs !== null) {
    if (!isFiniteNumber(raw.maxVUs) || !Number.isInteger(raw.maxVUs) || raw.maxVUs < 1) problems.add(`${path}maxVUs`, 'must be a whole number of at least 1');
    else maxVUs = raw.maxVUs;
  }
  return { consumer, key, ...(bearer !== undefined ? { bearer } : {}), priority, rate, operation, stream, promptWords, maxTokens, startSeconds, endSeconds, ...(maxVUs !== undefined ? { maxVUs } : {}) };
}

function parseThresholds(raw: unknown, problems: Problems): Record<string, string[]> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) {
    problems.add('thresholds', 'must be an object of metric → list of expressions');
    return {};
  }
  const thresholds: Record<string, string[]> = {};
  for (const [metric, expressions] of Object.entries(raw)) {
    if (!Array.isArray(expressions) || !expressions.every(isNonEmptyString)) problems.add(`thresholds["${metric}"]`, 'must be a list of expression strings');
    else thresholds[metric] = expressions;
  }
  return thresholds;
}

/**
 * Parses the plan's JSON text. `expectedName` is the scenario the script implements: a plan for
 * another scenario is refused, since the harness must have started the wrong bundle.
 */
export function parsePlan(text: string | undefined, expectedName: string): SpillwayPlan {
  const intro = `${PLAN_ENV} (the plan of scenario "${expectedName}")`;
  if (text === undefined || text.trim() === '') {
    throw new PlanError(`${PLAN_ENV} is not set: this script is started by \`spillway run ${expectedName}\`, which passes the resolved plan as JSON in ${PLAN_ENV}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // The parser's message can quote the text, and the text holds subscription keys.
    throw new PlanError(`${intro} is not valid JSON (${text.length} characters)`);
  }
  if (!isObject(raw)) throw new PlanError(`${intro} must be a JSON object`);

  const problems = new Problems();
  const name = problems.string(raw, 'name', '');
  // A plan may run on another scenario's script (k6.config.json `script`): the script must
  // be this one, and the plan keeps its own name for the samples' tags.
  const script = typeof raw.script === 'string' && raw.script !== '' ? raw.script : name;
  if (name !== '' && script !== expectedName) problems.add(raw.script ? 'script' : 'name', `is "${script}", but this script is the "${expectedName}" scenario`);
  const durationSeconds = problems.positive(raw, 'durationSeconds', '');
  const units = problems.positive(raw, 'units', '');
  let baseUrl = problems.string(raw, 'baseUrl', '');
  if (baseUrl !== '' && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(baseUrl)) problems.add('baseUrl', 'must be an http:// or https:// URL');
  baseUrl = baseUrl.replace(/\/+$/, '');
  const apiVersion = problems.string(raw, 'apiVersion', '');
  const deployment = problems.string(raw, 'deployment', '');
  const embeddingDeployment = problems.string(raw, 'embeddingDeployment', '');

  let traffic: PlanTraffic[] = [];
  if (!Array.isArray(raw.traffic) || raw.traffic.length === 0) problems.add('traffic', 'must be a non-empty list of traffic classes');
  else traffic = raw.traffic.map((entry, index) => parseTraffic(entry, index, durationSeconds, problems));

  const thresholds = parseThresholds(raw.thresholds, problems);
  let summaryTrendStats: string[] | undefined;
  if (raw.summaryTrendStats !== undefined && raw.summaryTrendStats !== null) {
    if (!Array.isArray(raw.summaryTrendStats) || !raw.summaryTrendStats.every(isNonEmptyString)) problems.add('summaryTrendStats', 'must be a list of statistics such as "avg", "p(95)"');
    // An empty list means no preference: k6's default statistics.
    else if (raw.summaryTrendStats.length > 0) summaryTrendStats = raw.summaryTrendStats;
  }
  const summaryPath = problems.string(raw, 'summaryPath', '');
  if (summaryPath !== '' && !/^(\/|[A-Za-z]:[\\/])/.test(summaryPath)) problems.add('summaryPath', 'must be an absolute path');
  // Optional: a plan written before runs carried a marker still runs, sending none.
  const runId = typeof raw.runId === 'string' ? raw.runId : '';
  if (runId !== '' && !/^[A-Za-z0-9._:-]{1,128}$/.test(runId)) problems.add('runId', 'must be 1 to 128 letters, digits or . _ : - (it travels in a header)');

  if (problems.list.length > 0) throw new PlanError(`invalid ${intro}:\n${problems.list.map((p) => `  ${p}`).join('\n')}`);
  return { name, durationSeconds, units, baseUrl, apiVersion, deployment, embeddingDeployment, traffic, thresholds, summaryTrendStats, summaryPath, runId };
}

/** The plan from k6's environment (`__ENV`), or a PlanError saying what is wrong. */
export function readPlan(env: Record<string, string | undefined>, expectedName: string): SpillwayPlan {
  return parsePlan(env[PLAN_ENV], expectedName);
}
