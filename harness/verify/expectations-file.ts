/**
 * Expectations given explicitly, as a JSON file (`spillway run --expectations file`): for a
 * gateway whose configuration Spillway cannot read (a real APIM managed in the portal), or to
 * hold a gateway to what was agreed rather than to what it runs. The shape is `Expectations`
 * (expectations.ts) with durations in milliseconds; tolerances may be partial and fall back to
 * the defaults. Every problem is reported with the file and the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defaultTolerances } from './expectations-from-config.ts';
import { BREAKER_COUNTINGS, type Expectations } from './expectations.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

export class ExpectationsFileError extends UserFacingError {}

const statusRange = z.strictObject({ min: z.int().min(100).max(599), max: z.int().min(100).max(599) }).refine((r) => r.min <= r.max, { message: 'min must not exceed max' });

const countings = BREAKER_COUNTINGS.map((c) => `"${c}"`).join(' or ');

const breakerFields = z.strictObject({
  count: z.int().min(1),
  intervalMs: z.number().positive(),
  tripDurationMs: z.number().positive(),
  acceptRetryAfter: z.boolean(),
  counting: z
    .enum(BREAKER_COUNTINGS, { error: (issue) => `unknown counting ${JSON.stringify(issue.input)}: use ${countings} ("sliding-window", the default, is APIM's circuit breaker; "nginx-passive" is nginx's max_fails/fail_timeout)` })
    .optional(),
  failureStatusRanges: z.array(statusRange).optional(),
});

/**
 * nginx has one fail_timeout, in whole seconds, for the window and the ejection, and never
 * reads Retry-After: a rule that says otherwise describes no nginx, so it is refused rather
 * than judged by a model that would ignore the difference.
 */
function nginxRule(rule: z.infer<typeof breakerFields>, ctx: z.RefinementCtx): void {
  if (rule.counting !== 'nginx-passive') return;
  if (rule.intervalMs !== rule.tripDurationMs) {
    ctx.addIssue({ code: 'custom', path: ['intervalMs'], message: `with counting "nginx-passive", intervalMs and tripDurationMs are both nginx's fail_timeout and must be equal (got ${rule.intervalMs} and ${rule.tripDurationMs})` });
  }
  if (rule.tripDurationMs % 1000 !== 0) {
    ctx.addIssue({ code: 'custom', path: ['tripDurationMs'], message: `with counting "nginx-passive", tripDurationMs is nginx's fail_timeout, which counts whole seconds: give a multiple of 1000 (got ${rule.tripDurationMs})` });
  }
  if (rule.acceptRetryAfter) {
    ctx.addIssue({ code: 'custom', path: ['acceptRetryAfter'], message: 'with counting "nginx-passive", acceptRetryAfter must be false: nginx never reads Retry-After' });
  }
}

const breakerRule = breakerFields.superRefine(nginxRule);

const breaker = breakerFields
  .extend({
    entities: z.array(z.string().min(1)).optional(),
    entityRules: z.record(z.string(), breakerRule).optional(),
  })
  .superRefine(nginxRule);

const priority = z.enum(['high', 'medium', 'low']);

const expectationsSchema = z.strictObject({
  backends: z.array(
    z.strictObject({
      name: z.string().min(1),
      region: z.string().min(1),
      kind: z.enum(['ptu', 'payg']),
      // Refused with a reason rather than as an unknown key: files written before capacities
      // moved out of the expectations carry it, and their authors need to know why it goes.
      capacityTpm: z
        .unknown()
        .refine(() => false, { message: "a backend's capacity is a fact of the fleet, not an expectation of the gateway: Spillway reads it from the run's fleet (a plan's fleet.capacityTpm overrides it), so one file holds for every plan; remove this field" })
        .optional(),
    }),
  ),
  breakers: z.record(z.string(), breaker),
  entityRoutes: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  regions: z.array(z.string().min(1)).min(1),
  frontDoor: z
    .strictObject({
      probeIntervalSeconds: z.number().positive(),
      sampleSize: z.int().min(1),
      successfulSamplesRequired: z.int().min(1),
      // Azure Front Door's own ranges: priority 1-5, weight 1-1000. Empty is a front door whose
      // origins are all disabled, as expectationsFromConfig (and `spillway expectations`) derive
      // it; the steady-state check then says it has no routing to judge.
      origins: z.array(z.strictObject({ region: z.string().min(1), priority: z.int().min(1).max(5), weight: z.int().min(1).max(1000) })).optional(),
    })
    .refine((fd) => fd.successfulSamplesRequired <= fd.sampleSize, { message: 'successfulSamplesRequired must not exceed sampleSize' })
    .nullable(),
  consumers: z.record(
    z.string(),
    z.strictObject({
      tokensPerMinute: z.number().positive(),
      priority,
      tokenQuota: z.strictObject({ tokens: z.number().positive(), period: z.enum(['Hourly', 'Daily', 'Weekly', 'Monthly', 'Yearly']) }).optional(),
    }),
  ),
  ptuBurstSeconds: z.number().positive().optional(),
  tolerances: z.strictObject({ tripDurationMs: z.number().min(0), tokenLimitRelative: z.number().min(0), spilloverShare: z.number().min(0).max(1) }).partial().optional(),
});

export function loadExpectationsFile(file: string): Expectations {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ExpectationsFileError(`${file}: cannot read the expectations (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ExpectationsFileError(`${file}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = expectationsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ExpectationsFileError(`invalid expectations:\n${parsed.error.issues.map((i) => `  ${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n')}`);
  }
  const { tolerances, backends, ...rest } = parsed.data;
  // Optional fields are left out rather than set to undefined (exactOptionalPropertyTypes).
  return JSON.parse(JSON.stringify({ ...rest, backends: backends.map(({ name, region, kind }) => ({ name, region, kind })), tolerances: { ...defaultTolerances, ...tolerances } })) as Expectations;
}
