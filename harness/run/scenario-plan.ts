import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * A scenario's plan (`scenarios/<name>.plan.json`): what k6 sends (the traffic mix, its rate per
 * gateway unit, for how long), what the harness breaks and when (the fault timeline, in offsets
 * from k6's start), and which verifiers judge the result. The k6 script receives the resolved
 * plan (rates already scaled by --units, URLs and keys filled in) through the environment.
 */
const distribution = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), value: z.int().min(1) }),
  z.strictObject({ kind: z.literal('uniform'), min: z.int().min(1), max: z.int().min(1) }),
]);

const trafficClass = z.strictObject({
  /** Consumer class from k6.config.json (its key and default priority). */
  consumer: z.string().min(1),
  /** X-Priority to send; absent: the consumer's default. 'none' sends no header. */
  priority: z.enum(['high', 'medium', 'low', 'none']).optional(),
  /** Requests per second per gateway unit, before --units scaling. */
  ratePerUnit: z.number().positive(),
  operation: z.enum(['chat', 'embeddings']).default('chat'),
  stream: z.boolean().default(false),
  /** Prompt size in words (about one token each) and max_tokens. */
  promptWords: distribution.default({ kind: 'fixed', value: 40 }),
  maxTokens: distribution.default({ kind: 'fixed', value: 100 }),
  /** When this class starts and stops sending, seconds from k6's start; default the whole run. */
  startSeconds: z.number().min(0).default(0),
  endSeconds: z.number().positive().optional(),
});

const fleetFault = z.strictObject({
  kind: z.enum(['status', 'latency', 'hang', 'reset', 'refuse', 'slow-stream', 'truncate-stream']),
  target: z.strictObject({ backend: z.string().optional(), region: z.string().optional(), deployment: z.string().optional() }),
  rate: z.number().min(0).max(1).optional(),
  status: z.int().optional(),
  retryAfterSeconds: z.int().optional(),
  latencyMs: z.int().optional(),
  perTokenDelayMs: z.int().optional(),
  afterTokens: z.int().optional(),
});

const timelineStep = z
  .strictObject({
    id: z.string().min(1),
    /** Seconds after k6 starts. */
    at: z.number().min(0),
    /** Seconds the fault lasts; absent: until the run ends. */
    for: z.number().positive().optional(),
    /** A fault the fleet applies to its backends. */
    fleet: fleetFault.optional(),
    /**
     * A region goes down: its gateway stops listening and, unless `backends` is false, its
     * Azure OpenAI resources refuse connections too (a regional outage). `backends: false`
     * takes only the gateway down, as APIM's disableGateway or an APIM-only incident does.
     */
    regionDown: z.strictObject({ region: z.string().min(1), backends: z.boolean().optional() }).optional(),
  })
  .refine((step) => (step.fleet ? 1 : 0) + (step.regionDown ? 1 : 0) === 1, { message: 'each step has exactly one of "fleet" or "regionDown"' });

export const verifierNames = ['spillover', 'circuit-breaker', 'priority', 'failover', 'token-limit'] as const;
export type VerifierName = (typeof verifierNames)[number];

export const scenarioPlanSchema = z.strictObject({
  $comment: z.string().optional(),
  description: z.string().min(1),
  /** Which scenarios/<script>.scenario.ts runs this plan; default: the plan's own name. */
  script: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
  durationSeconds: z.number().positive().max(3600),
  /** Through the front door (the default) or straight to one regional gateway. */
  entry: z.enum(['front-door', 'primary-region']).default('front-door'),
  traffic: z.array(trafficClass).min(1),
  timeline: z.array(timelineStep).default([]),
  verifiers: z.array(z.enum(verifierNames)).default([]),
  /** k6 thresholds, e.g. { "http_req_duration{expected_response:true}": ["p(95)<2000"] }. */
  thresholds: z.record(z.string(), z.array(z.string())).default({}),
  /** Fleet settings for this scenario: modeled latency scale and per-deployment capacity overrides. */
  fleet: z
    .strictObject({
      latencyScale: z.number().min(0).optional(),
      capacityTpm: z.record(z.string(), z.int().positive()).optional(),
    })
    .default({}),
});

const consumerSchema = z.strictObject({
  priority: z.enum(['high', 'medium', 'low']),
  tokensPerMinute: z.int().positive(),
  /** Environment variable holding the subscription key for a remote gateway. */
  keyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
  /** The key of the embedded sample configuration (obviously local, never a real key). */
  localKey: z.string().min(1),
});

/** k6.config.json: k6 options for every scenario, the consumer classes, and the scenario plans. */
export const k6ConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  k6: z.strictObject({ summaryTrendStats: z.array(z.string()).optional() }).default({}),
  consumers: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), consumerSchema),
  scenarios: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), scenarioPlanSchema),
});

export type ScenarioPlan = z.output<typeof scenarioPlanSchema> & { name: string };
export type K6Config = z.output<typeof k6ConfigSchema>;
export type ConsumerClass = K6Config['consumers'][string];
export type TrafficClass = ScenarioPlan['traffic'][number];
export type TimelineStep = ScenarioPlan['timeline'][number];

export class ScenarioPlanError extends Error {
  override name = 'UserFacingError';
}

/**
 * Reads and checks k6.config.json: every error names the file and the field, and every
 * traffic class must name a known consumer class.
 */
export function loadK6Config(file: string): K6Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioPlanError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ScenarioPlanError(`${file}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = k6ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ScenarioPlanError(`invalid k6 configuration:\n${parsed.error.issues.map((i) => `  ${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n')}`);
  }
  const problems: string[] = [];
  for (const [name, plan] of Object.entries(parsed.data.scenarios)) {
    plan.traffic.forEach((traffic, index) => {
      if (!parsed.data.consumers[traffic.consumer]) problems.push(`scenarios.${name}.traffic.${index}.consumer: "${traffic.consumer}" is not a consumer class (known: ${Object.keys(parsed.data.consumers).join(', ')})`);
      if (traffic.endSeconds !== undefined && traffic.endSeconds > plan.durationSeconds) problems.push(`scenarios.${name}.traffic.${index}.endSeconds: after the scenario ends (${plan.durationSeconds} s)`);
      // A class must send for some time inside the run: k6 refuses a scenario of no or negative
      // duration with a script exception, after the topology has started.
      if (traffic.startSeconds >= plan.durationSeconds) problems.push(`scenarios.${name}.traffic.${index}.startSeconds: ${traffic.startSeconds} s is not before the scenario ends (${plan.durationSeconds} s)`);
      else if (traffic.endSeconds !== undefined && traffic.endSeconds <= traffic.startSeconds) problems.push(`scenarios.${name}.traffic.${index}.endSeconds: ${traffic.endSeconds} s is not after the class starts (startSeconds ${traffic.startSeconds} s)`);
    });
    const seen = new Set<string>();
    for (const step of plan.timeline) {
      // Steps are named, recorded and cleared by id: two with one id would clear each other.
      if (seen.has(step.id)) problems.push(`scenarios.${name}.timeline.${step.id}.id: another step has this id; each step needs its own`);
      seen.add(step.id);
      if (step.at >= plan.durationSeconds) problems.push(`scenarios.${name}.timeline.${step.id}.at: ${step.at} s is not before the scenario ends (${plan.durationSeconds} s)`);
    }
  }
  if (problems.length > 0) throw new ScenarioPlanError(`invalid k6 configuration:\n${problems.map((p) => `  ${file}: ${p}`).join('\n')}`);
  return parsed.data;
}

/** The plan of one scenario, or an error listing the scenarios there are. */
export function scenarioPlan(config: K6Config, name: string, file: string): ScenarioPlan {
  const plan = config.scenarios[name];
  if (!plan) throw new ScenarioPlanError(`unknown scenario "${name}": ${file} defines ${Object.keys(config.scenarios).join(', ')}`);
  return { ...plan, name };
}
