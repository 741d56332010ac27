import { z } from 'zod';

/**
 * A fault rule: what the harness asks the fleet to break (the body of `POST /faults` on the
 * fleet's control API) and, once accepted, the rule as the fleet holds it and records it in its
 * ledger's `fault` records. The fleet validates requests with faultRequestSchema; the ledger
 * reader checks recorded rules with faultRuleSchema.
 *
 * Kinds, per backend, per region or per deployment:
 * - status: answer with a fixed status (500, 503, or 429 with a chosen Retry-After);
 * - latency: add time before the backend starts working;
 * - hang: accept the request and never answer (until the client gives up);
 * - reset: drop the connection with a TCP reset;
 * - refuse: take the listener down, so connections are refused;
 * - slow-stream: add time between streamed tokens (and to a non-streamed answer);
 * - truncate-stream: cut a stream off after a number of tokens.
 */
export const faultKinds = ['status', 'latency', 'hang', 'reset', 'refuse', 'slow-stream', 'truncate-stream'] as const;
export type FaultKind = (typeof faultKinds)[number];

/** Which backends a rule aims at: a backend, a region, or both, optionally narrowed to one deployment. */
export const faultTargetSchema = z
  .strictObject({
    backend: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
    deployment: z.string().min(1).optional(),
  })
  .refine((t) => t.backend !== undefined || t.region !== undefined, { message: 'name a backend or a region' });

/** The fields a request may carry; shared by the request (with its defaults) and the recorded rule. */
const faultFields = {
  kind: z.enum(faultKinds),
  target: faultTargetSchema,
  /** Share of matching requests affected, 0 to 1. */
  rate: z.number().min(0).max(1).default(1),
  /** The status answered, for kind `status`. */
  status: z.int().min(400).max(599).optional(),
  /** The Retry-After header (seconds) sent with a `status` fault. */
  retryAfterSeconds: z.int().min(0).max(86_400).optional(),
  /** Time added before the backend starts working, ms, for kind `latency`. */
  latencyMs: z.int().min(0).max(600_000).optional(),
  /** Time added between streamed tokens, ms, for kind `slow-stream`. */
  perTokenDelayMs: z.int().min(0).max(60_000).optional(),
  /** Tokens streamed before the cut, for kind `truncate-stream`. */
  afterTokens: z.int().min(0).optional(),
  /** How the truncated stream ends: a reset, or a clean close without the final frames. */
  truncateMode: z.enum(['reset', 'close']).optional(),
  /** How long the rule lasts, ms; absent: until cleared. */
  durationMs: z.int().positive().optional(),
  /** Free text that shows in the ledger, e.g. the timeline step that injected it. */
  label: z.string().max(200).optional(),
};

/** The body of a fault injection; every error names its field (see the refinements). */
export const faultRequestSchema = z.strictObject(faultFields).superRefine((rule, ctx) => {
  const need = (field: keyof typeof rule, when: FaultKind): void => {
    if (rule.kind === when && rule[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required for kind "${when}"` });
  };
  need('status', 'status');
  need('latencyMs', 'latency');
  need('perTokenDelayMs', 'slow-stream');
  need('afterTokens', 'truncate-stream');
  if (rule.kind === 'refuse' && rule.rate !== 1) ctx.addIssue({ code: 'custom', path: ['rate'], message: 'a refused listener refuses every connection: rate must be 1' });
  if (rule.kind === 'refuse' && rule.target.deployment !== undefined) ctx.addIssue({ code: 'custom', path: ['target', 'deployment'], message: 'refuse takes a whole listener down; it cannot target one deployment' });
  if (rule.retryAfterSeconds !== undefined && rule.kind !== 'status') ctx.addIssue({ code: 'custom', path: ['retryAfterSeconds'], message: 'only for kind "status"' });
});

export type FaultRequest = z.input<typeof faultRequestSchema>;
export type FaultRequestTarget = z.output<typeof faultTargetSchema>;

/**
 * A rule as the fleet accepted it: the request with its defaults applied (`rate` is always
 * there), plus the fleet's id for it, when it was created and when it expires (epoch ms; null
 * when it lasts until cleared). Recorded whole in every `fault` ledger record.
 */
export const faultRuleSchema = z.strictObject({
  ...faultFields,
  rate: z.number().min(0).max(1),
  id: z.string().min(1),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
});

export type FaultRule = z.output<typeof faultRuleSchema>;
