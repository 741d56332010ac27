import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { metricNames } from '../../scenarios/lib/metric-names.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import type { Verdict } from '../verify/verdict.ts';

/**
 * The plan's k6 thresholds evaluated over raw samples (k6's `--out json=` Point lines), as k6
 * evaluates them at the end of a run, for runs whose samples come from several load generators
 * (harness/evidence/merge-k6-outputs.ts): each k6 judged only its own share, and percentiles
 * cannot be merged from their summaries, so the merged evidence is judged once here. A single
 * generator keeps k6's own evaluation (threshold-verdicts.ts, from its summary export).
 *
 * What k6 does, and this does the same (k6 v2.2.0, metrics/thresholds.go and metrics/sink.go):
 * - a threshold's name is a metric with an optional tag filter, `metric{tag:value,…}` (spaces and
 *   quotes around keys and values trimmed); a sample counts when every listed tag has that value;
 * - trend: avg, min, max, med and p(N), where p(N) interpolates linearly between the sorted
 *   values at rank N/100 × (count − 1); with no samples every aggregate is 0;
 * - rate: the share of samples whose value is not 0; with no samples k6 skips the threshold
 *   (it passes);
 * - counter: count, the sum of the values.
 * Refused, naming the metric and the expression, rather than guessed: a counter's rate (k6
 * divides by its own test duration, which each generator measures separately), a gauge's value
 * (each generator's last value, which has no merged meaning), an aggregate k6 would not accept
 * for the metric's type, and anything that does not parse.
 */
export class ThresholdEvaluationError extends UserFacingError {}

type MetricType = 'trend' | 'rate' | 'counter' | 'gauge';
type Aggregate = { kind: 'avg' | 'min' | 'max' | 'med' | 'rate' | 'count' | 'value' } | { kind: 'p'; percent: number };

export interface ParsedThreshold {
  /** As declared: `http_req_duration{expected_response:true}`. */
  name: string;
  metric: string;
  tags: Record<string, string>;
  expression: string;
  aggregate: Aggregate;
  operator: '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';
  value: number;
}

/** The types of k6's built-in metrics and Spillway's, for a metric the samples never declare (no sample of it was emitted). */
const builtinTypes: Record<string, MetricType> = {
  http_req_duration: 'trend',
  http_req_blocked: 'trend',
  http_req_connecting: 'trend',
  http_req_tls_handshaking: 'trend',
  http_req_sending: 'trend',
  http_req_waiting: 'trend',
  http_req_receiving: 'trend',
  iteration_duration: 'trend',
  http_req_failed: 'rate',
  checks: 'rate',
  http_reqs: 'counter',
  iterations: 'counter',
  dropped_iterations: 'counter',
  data_sent: 'counter',
  data_received: 'counter',
  vus: 'gauge',
  vus_max: 'gauge',
  // Spillway's own (scenarios/lib/metrics.ts creates them with these types).
  [metricNames.request]: 'trend',
  [metricNames.tokens]: 'counter',
  [metricNames.tooManyRequests]: 'counter',
  [metricNames.spillover]: 'rate',
};

/** Which metric types each aggregate applies to (k6 refuses the others when the test starts). */
const aggregateTypes: Record<Aggregate['kind'], readonly MetricType[]> = {
  avg: ['trend'],
  min: ['trend'],
  max: ['trend'],
  med: ['trend'],
  p: ['trend'],
  rate: ['rate', 'counter'],
  count: ['counter'],
  value: ['gauge'],
};

// Longest first, as k6 scans them, so `<=` is not read as `<`.
const operators = ['<=', '<', '>=', '>', '===', '==', '!='] as const;

export function parseThreshold(name: string, expression: string): ParsedThreshold {
  const refuse = (why: string): never => {
    throw new ThresholdEvaluationError(`k6 threshold ${name} "${expression}": ${why}`);
  };
  const open = name.indexOf('{');
  let metric = name;
  const tags: Record<string, string> = {};
  if (open !== -1 || name.includes('}')) {
    if (open === -1 || !name.endsWith('}') || name.indexOf('}') !== name.length - 1) refuse('the tag filter must be one {…} at the end of the metric name');
    metric = name.slice(0, open);
    for (const pair of name.slice(open + 1, -1).split(',')) {
      const colon = pair.indexOf(':');
      const key = colon === -1 ? '' : pair.slice(0, colon).trim().replace(/^["']+|["']+$/g, '');
      const value = colon === -1 ? '' : pair.slice(colon + 1).trim().replace(/^["']+|["']+$/g, '');
      if (key === '' || value === '') refuse(`the tag filter "${pair.trim()}" is not key:value`);
      tags[key] = value;
    }
  }
  if (metric.trim() === '') refuse('no metric name');
  let operator: ParsedThreshold['operator'] | undefined;
  let left = '';
  let right = '';
  for (const op of operators) {
    const at = expression.indexOf(op);
    if (at !== -1 && expression.slice(at + op.length) !== '') {
      operator = op;
      left = expression.slice(0, at).trim();
      right = expression.slice(at + op.length).trim();
      break;
    }
  }
  if (!operator) return refuse('not an expression k6 understands (aggregate, operator, number: p(95)<500)');
  const value = Number(right);
  if (right === '' || !Number.isFinite(value)) refuse(`"${right}" is not a number`);
  const percentile = /^p\((\d+(?:\.\d+)?)\)$/.exec(left);
  let aggregate: Aggregate;
  if (percentile) {
    const percent = Number(percentile[1]);
    if (percent > 100) refuse(`p(${percentile[1]}): a percentile is at most 100`);
    aggregate = { kind: 'p', percent };
  } else if (left === 'avg' || left === 'min' || left === 'max' || left === 'med' || left === 'rate' || left === 'count' || left === 'value') {
    aggregate = { kind: left };
  } else {
    return refuse(`"${left}" is not an aggregate this evaluates (avg, min, max, med, p(N), rate, count)`);
  }
  return { name, metric, tags, expression, aggregate, operator, value };
}

/**
 * Every declared threshold parsed and checked for what can be evaluated over several
 * generators' samples, before any load: throws ThresholdEvaluationError naming the first one
 * that cannot. `typeOf` gives a metric's type where known (the built-ins are known here).
 */
export function checkThresholdsEvaluable(declared: Record<string, readonly string[]>, typeOf: (metric: string) => MetricType | undefined = (metric) => builtinTypes[metric]): ParsedThreshold[] {
  const parsed = Object.entries(declared).flatMap(([name, expressions]) => expressions.map((expression) => parseThreshold(name, expression)));
  for (const threshold of parsed) checkAggregate(threshold, typeOf(threshold.metric));
  return parsed;
}

function checkAggregate(threshold: ParsedThreshold, type: MetricType | undefined): void {
  const { name, expression, aggregate } = threshold;
  const refuse = (why: string): never => {
    throw new ThresholdEvaluationError(`k6 threshold ${name} "${expression}": ${why}`);
  };
  if (type === undefined) {
    // A custom metric with no sample declares no type; only an aggregate of one type tells it.
    if (aggregateTypes[aggregate.kind].length !== 1) refuse(`the type of ${threshold.metric} is not known (no sample declared it), and ${aggregate.kind} applies to more than one type`);
    return;
  }
  if (!aggregateTypes[aggregate.kind].includes(type)) refuse(`${aggregate.kind} does not apply to ${threshold.metric}, a ${type} (k6 accepts ${Object.entries(aggregateTypes).filter(([, types]) => types.includes(type)).map(([kind]) => (kind === 'p' ? 'p(N)' : kind)).join(', ')})`);
  if (type === 'counter' && aggregate.kind === 'rate') refuse("a counter's rate is its count over k6's own test duration, which each load generator measures separately: not evaluated over merged samples (use count)");
  if (type === 'gauge') refuse("a gauge's value is each load generator's own last value, which has no merged meaning: not evaluated over merged samples");
}

/** k6's percentile (metrics/sink.go TrendSink.P): linear interpolation at rank fraction × (count − 1) of the sorted values. */
export function k6Percentile(sorted: ArrayLike<number>, fraction: number): number {
  const count = sorted.length;
  if (count === 0) return 0;
  if (count === 1) return sorted[0]!;
  const rank = fraction * (count - 1);
  const below = sorted[Math.floor(rank)]!;
  const above = sorted[Math.ceil(rank)]!;
  return below + (above - below) * (rank - Math.floor(rank));
}

interface Point {
  value: number;
  tags: Record<string, string>;
}

/** The aggregate's value over the samples, as k6 computes it; undefined where k6 would skip the threshold. */
export function aggregateOf(threshold: ParsedThreshold, type: MetricType, values: readonly number[]): number | undefined {
  const { aggregate } = threshold;
  switch (aggregate.kind) {
    case 'count':
      return values.reduce((sum, v) => sum + v, 0);
    case 'rate':
      // Only rate metrics reach here (checkAggregate refuses a counter's rate).
      return values.length === 0 ? undefined : values.filter((v) => v !== 0).length / values.length;
    case 'avg':
      return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
    case 'min':
      return values.length === 0 ? 0 : values.reduce((m, v) => (v < m ? v : m), Infinity);
    case 'max':
      return values.length === 0 ? 0 : values.reduce((m, v) => (v > m ? v : m), -Infinity);
    case 'med':
    case 'p': {
      const sorted = Float64Array.from(values).sort();
      return k6Percentile(sorted, aggregate.kind === 'p' ? aggregate.percent / 100 : 0.5);
    }
    case 'value':
      throw new ThresholdEvaluationError(`k6 threshold ${threshold.name} "${threshold.expression}": a ${type}'s value is not evaluated over merged samples`);
  }
}

function holds(threshold: ParsedThreshold, measured: number): boolean {
  const { operator, value } = threshold;
  switch (operator) {
    case '<':
      return measured < value;
    case '<=':
      return measured <= value;
    case '>':
      return measured > value;
    case '>=':
      return measured >= value;
    case '==':
    case '===':
      return measured === value;
    case '!=':
      return measured !== value;
  }
}

/** One declared threshold, evaluated. */
export interface EvaluatedThreshold {
  threshold: ParsedThreshold;
  /** Samples of the metric that pass its tag filter. */
  samples: number;
  /** The aggregate's value; undefined where k6 skips the threshold (a rate without samples). */
  measured: number | undefined;
  passed: boolean;
}

/**
 * The declared thresholds evaluated over the raw samples in `samplesFile` (one k6 output, or
 * several merged), in declaration order. Throws ThresholdEvaluationError for a threshold that
 * cannot be evaluated, or a samples file that is missing or malformed.
 */
export async function evaluateThresholdsFromSamples(samplesFile: string, declared: Record<string, readonly string[]>): Promise<EvaluatedThreshold[]> {
  const parsed = Object.entries(declared).flatMap(([name, expressions]) => expressions.map((expression) => parseThreshold(name, expression)));
  if (parsed.length === 0) return [];
  if (!existsSync(samplesFile)) throw new ThresholdEvaluationError(`${samplesFile}: the raw samples the thresholds are judged on were not written`);
  const wanted = new Set(parsed.map((t) => t.metric));
  const declaredTypes = new Map<string, MetricType>();
  const points = new Map<string, Point[]>(parsed.map((t) => [t.metric, []]));
  let lineNumber = 0;
  for await (const line of createInterface({ input: createReadStream(samplesFile, 'utf8'), crlfDelay: Infinity })) {
    lineNumber++;
    const metricName = /"metric":"([^"]+)"/.exec(line)?.[1];
    if (metricName === undefined || !wanted.has(metricName)) continue;
    let row: { type?: unknown; metric?: unknown; data?: { type?: unknown; value?: unknown; tags?: unknown } };
    try {
      row = JSON.parse(line) as typeof row;
    } catch (error) {
      throw new ThresholdEvaluationError(`${samplesFile}:${lineNumber}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (row.type === 'Metric' && typeof row.data?.type === 'string') declaredTypes.set(metricName, row.data.type as MetricType);
    else if (row.type === 'Point') {
      if (typeof row.data?.value !== 'number') throw new ThresholdEvaluationError(`${samplesFile}:${lineNumber}: data.value: a ${metricName} sample without a numeric value`);
      const tags = typeof row.data.tags === 'object' && row.data.tags !== null ? (row.data.tags as Record<string, string>) : {};
      points.get(metricName)!.push({ value: row.data.value, tags });
    }
  }
  return parsed.map((threshold): EvaluatedThreshold => {
    const known = declaredTypes.get(threshold.metric) ?? builtinTypes[threshold.metric];
    checkAggregate(threshold, known);
    const values = points.get(threshold.metric)!.filter((p) => Object.entries(threshold.tags).every(([key, value]) => p.tags[key] === value)).map((p) => p.value);
    const measured = aggregateOf(threshold, known ?? inferredType(threshold), values);
    return { threshold, samples: values.length, measured, passed: measured === undefined || holds(threshold, measured) };
  });
}

/**
 * The declared thresholds as verdicts over the raw samples in `samplesFile`, in the shape
 * threshold-verdicts.ts gives k6's own evaluation. `relativeName` is the samples file as the
 * journal names it; `generators` how many k6 processes wrote them (said in the verdicts).
 */
export async function thresholdVerdictsFromSamples(samplesFile: string, relativeName: string, declared: Record<string, readonly string[]>, generators: number): Promise<Verdict[]> {
  const sources = generators === 1 ? 'the raw samples of its one k6' : `the merged raw samples of ${generators} load generators`;
  return (await evaluateThresholdsFromSamples(samplesFile, declared)).map(({ threshold, samples, measured, passed }): Verdict => {
    const aggregateName = threshold.aggregate.kind === 'p' ? `p(${threshold.aggregate.percent})` : threshold.aggregate.kind;
    const counted = `${samples} sample${samples === 1 ? '' : 's'}`;
    return {
      check: `k6 threshold ${threshold.name}`,
      status: passed ? 'pass' : 'fail',
      expected: threshold.expression,
      measured: measured === undefined ? 'no samples (k6 skips a rate threshold without samples)' : `${aggregateName} = ${Number(measured.toFixed(3))} over ${counted}`,
      tolerance: `none (computed as k6 does, from ${sources})`,
      explanation: passed ? `${threshold.name} ${threshold.expression} held over ${sources}.` : `${threshold.name} ${threshold.expression} crossed over ${sources}; the samples are in ${relativeName}.`,
      evidence: [{ file: relativeName, description: `${threshold.metric} samples${Object.keys(threshold.tags).length > 0 ? ` tagged ${Object.entries(threshold.tags).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}` }],
    };
  });
}

function inferredType(threshold: ParsedThreshold): MetricType {
  const types = aggregateTypes[threshold.aggregate.kind];
  // checkAggregate refuses an unknown type with an ambiguous aggregate before this matters.
  return types[0]!;
}
