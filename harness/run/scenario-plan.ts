import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserFacingError } from '../contracts/user-facing-error.ts';

// The plan's schema is part of the run journal's contract (harness/contracts/scenario-plan.ts).
import { scenarioPlanSchema, type ScenarioPlan } from '../contracts/scenario-plan.ts';
export { scenarioPlanSchema, stepKinds, tokenFlaws, verifierNames, type BearerTokenSpec, type ScenarioPlan, type StepKind, type StepOf, type TimelineStep, type TokenFlaw, type TrafficClass, type VerifierName } from '../contracts/scenario-plan.ts';

const consumerSchema = z.strictObject({
  priority: z.enum(['high', 'medium', 'low']),
  tokensPerMinute: z.int().positive(),
  /** Environment variable holding the subscription key for a remote gateway. */
  keyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
  /** The key of the embedded sample configuration (obviously local, never a real key). */
  localKey: z.string().min(1),
});

/**
 * Per-unit capacity figures by APIM tier, which `spillway capacity` compares its measured figure
 * with (harness/capacity/reference-figures.ts). Every figure is an estimate somebody published,
 * not a limit, and carries where it comes from.
 */
const capacityReferenceSchema = z.strictObject({
  $comment: z.string().optional(),
  tiers: z.record(
    z.string().regex(/^[a-z][a-z0-9-]*$/),
    z.strictObject({
      displayName: z.string().min(1),
      /** Requests per second per unit, for light and heavy policies; one figure when the source gives one for both. */
      requestsPerSecondPerUnit: z.union([z.number().positive(), z.strictObject({ light: z.number().positive(), heavy: z.number().positive() })]),
      /** What kind of figure it is: all published figures are estimates (APIM: "not a call limit"). */
      basis: z.enum(['published estimate', 'rule of thumb']),
      source: z.string().min(1),
    }),
  ),
});

/** k6.config.json: k6 options for every scenario, the consumer classes, and the scenario plans. */
export const k6ConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  k6: z.strictObject({ summaryTrendStats: z.array(z.string()).optional() }).default({}),
  consumers: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), consumerSchema),
  scenarios: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), scenarioPlanSchema),
  capacityReference: capacityReferenceSchema.optional(),
});

export type K6Config = z.output<typeof k6ConfigSchema>;
export type ConsumerClass = K6Config['consumers'][string];
export type CapacityReference = NonNullable<K6Config['capacityReference']>;

export class ScenarioPlanError extends UserFacingError {}

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
