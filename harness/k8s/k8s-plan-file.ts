import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { scenarioPlanSchema } from '../contracts/scenario-plan.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * `<run>.plan.json`, written by `spillway k8s render` beside the manifests: the resolved plan
 * the runners were given, without keys, so that `spillway k8s collect` can judge their merged
 * results later, on another machine, without the manifests or the cluster. It holds what the
 * judgement needs (the scenario's traffic, thresholds and verifiers, the units its rates were
 * scaled by, the gateway URL, the run id, how many runners split it) and, for a capacity plan,
 * the staircase of steps and the criteria each step is judged by.
 */
export const k8sPlanFileVersion = 1;

const capacityStepSchema = z.strictObject({
  /** The step's constant rate, requests per second, all runners together. */
  rps: z.number().positive(),
  /** The index of its traffic entry in the plan (its k6 scenario is `t<index>_<consumer>`). */
  trafficIndex: z.int().min(0),
  startSeconds: z.number().min(0),
  endSeconds: z.number().positive(),
});
export type CapacityStep = z.infer<typeof capacityStepSchema>;

export const capacityPlanSchema = z.strictObject({
  profile: z.enum(['light', 'heavy']),
  /** Appended to the gateway URL: where the profile's API is (the Capacity Testing product's). */
  basePath: z.string(),
  holdSeconds: z.number().positive(),
  /** The start of each step that is not judged: the queue of the step before drains meanwhile. */
  settleSeconds: z.number().min(0),
  criteria: z.strictObject({ sloP95Ms: z.number().positive(), errorBudget: z.number().min(0).max(1), droppedTolerance: z.number().min(0).max(1) }),
  steps: z.array(capacityStepSchema).min(1),
});
export type CapacityPlan = z.infer<typeof capacityPlanSchema>;

export const k8sPlanFileSchema = z.strictObject({
  schemaVersion: z.literal(k8sPlanFileVersion),
  kind: z.enum(['scenario', 'capacity']),
  /** The TestRun's name: every request carried it in x-spillway-run, and every runner pod's name starts with it. */
  runId: z.string().min(1),
  namespace: z.string(),
  parallelism: z.int().min(1),
  gatewayUrl: z.string(),
  units: z.int().min(1),
  /** Requests per second the runners offer together at the busiest moment of the plan. */
  peakRate: z.number().min(0),
  /** The cap the render was given (--max-rate). */
  maxRate: z.number().positive(),
  renderedAt: z.iso.datetime(),
  /** The plan as the runners run it, with its name; keys are never part of it. */
  plan: scenarioPlanSchema.extend({ name: z.string().min(1) }),
  capacity: capacityPlanSchema.optional(),
});
export type K8sPlanFile = z.output<typeof k8sPlanFileSchema>;

export class K8sPlanFileError extends UserFacingError {}

/** Reads and checks a plan file, naming the file and the field that is wrong. */
export function readK8sPlanFile(file: string): K8sPlanFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new K8sPlanFileError(`--plan ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)}); it is the <run>.plan.json that \`spillway k8s render\` wrote beside the manifests`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new K8sPlanFileError(`--plan ${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = k8sPlanFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
    throw new K8sPlanFileError(`--plan ${file}: not a plan \`spillway k8s render\` writes (schema version ${k8sPlanFileVersion}):\n  ${problems.join('\n  ')}`);
  }
  if (parsed.data.kind === 'capacity' && !parsed.data.capacity) throw new K8sPlanFileError(`--plan ${file}: capacity: a capacity plan must list its steps`);
  return parsed.data;
}
