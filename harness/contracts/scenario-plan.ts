import { z } from 'zod';

/**
 * A scenario's plan (`scenarios/<name>.plan.json`): what k6 sends (the traffic mix, its rate per
 * gateway unit, for how long), what the harness breaks and when (the fault timeline, in offsets
 * from k6's start), and which verifiers judge the result. The k6 script receives the resolved
 * plan (rates already scaled by --units, URLs and keys filled in) through the environment.
 *
 * A contract because the run journal records the plan a run ran (journal.ts), so that a run can
 * be understood and re-judged from its journal; loading and checking k6.config.json stays in
 * harness/run/scenario-plan.ts.
 */
const distribution = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), value: z.int().min(1) }),
  z.strictObject({ kind: z.literal('uniform'), min: z.int().min(1), max: z.int().min(1) }),
]);

/** How a bearer token is broken on purpose (none: a good token): what validate-jwt must refuse. */
export const tokenFlaws = ['none', 'expired', 'wrong-audience', 'unsigned', 'bad-signature'] as const;
export type TokenFlaw = (typeof tokenFlaws)[number];

const environmentVariable = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as SPILLWAY_BEARER_TOKEN (capitals, digits and _)');

/**
 * The bearer token a class sends in `Authorization` (harness/auth). `minted`: the harness mints
 * an HS256 token (issuer, audience, `sub` the consumer, `scp` the scope) with a key named here,
 * never written in the plan: a named value of the embedded gateway's configuration (the one its
 * validate-jwt policy uses) or an environment variable holding the key in base64. `env`: a
 * token somebody got from Entra ID for a real APIM, in an environment variable. Either way the
 * token reaches k6 as subscription keys do, in its environment only.
 */
const bearerTokenSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('minted'),
    flaw: z.enum(tokenFlaws).default('none'),
    issuer: z.string().min(1),
    audience: z.string().min(1),
    scope: z.string().min(1).optional(),
    signingKey: z
      .strictObject({ namedValue: z.string().min(1).optional(), env: environmentVariable.optional() })
      .refine((k) => (k.namedValue === undefined) !== (k.env === undefined), 'give exactly one of namedValue (a named value of the gateway configuration) or env (a variable holding the key in base64)'),
  }),
  z.strictObject({ kind: z.literal('env'), variable: environmentVariable }),
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
  /** The bearer token this class sends in `Authorization`; absent: none (the subscription key only). */
  bearerToken: bearerTokenSchema.optional(),
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

/** What every timeline step has, whatever it breaks. */
const stepTiming = {
  id: z.string().min(1),
  /** Seconds after k6 starts. */
  at: z.number().min(0),
  /** Seconds the fault lasts; absent: until the run ends. */
  for: z.number().positive().optional(),
};

/** A fault the fleet applies to its backends (the fleet's own fault rules, mocks/aoai/fault-rules.ts). */
const fleetFaultStep = z.strictObject({ ...stepTiming, kind: z.literal('fleet-fault'), fault: fleetFault });

/**
 * A region goes down: its gateway stops listening and, unless `backends` is false, its Azure
 * OpenAI resources refuse connections too (a regional outage). `backends: false` takes only the
 * gateway down, as APIM's disableGateway or an APIM-only incident does. A target that cannot
 * stop the gateway (one somebody else runs) takes only the fleet's side down and says so first.
 */
const regionDownStep = z.strictObject({ ...stepTiming, kind: z.literal('region-down'), region: z.string().min(1), backends: z.boolean().optional() });

/**
 * A network fault on a TCP link, through Toxiproxy (its toxics, in its own terms and units): the
 * link into one backend, into every backend of a region, or from the front door into one
 * region's gateway. TCP only: HTTP statuses stay the fleet's faults. `down` disables the proxy
 * (connections refused); every other type is a toxic on the link's `stream` (downstream: what
 * flows back to the caller; upstream: what the caller sends), on `toxicity` of its connections.
 */
const networkLink = z.discriminatedUnion('to', [
  z.strictObject({ to: z.literal('backend'), backend: z.string().min(1) }),
  z.strictObject({ to: z.literal('region-backends'), region: z.string().min(1) }),
  z.strictObject({ to: z.literal('gateway'), region: z.string().min(1) }),
]);
const networkToxic = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('latency'), latencyMs: z.int().min(0), jitterMs: z.int().min(0).default(0) }),
  z.strictObject({ type: z.literal('bandwidth'), rateKBps: z.int().min(0) }),
  z.strictObject({ type: z.literal('timeout'), timeoutMs: z.int().min(0) }),
  z.strictObject({ type: z.literal('reset_peer'), timeoutMs: z.int().min(0).default(0) }),
  z.strictObject({ type: z.literal('slicer'), averageSize: z.int().positive(), sizeVariation: z.int().min(0).default(0), delayMicroseconds: z.int().min(0).default(0) }),
  z.strictObject({ type: z.literal('limit_data'), bytes: z.int().min(0) }),
  z.strictObject({ type: z.literal('slow_close'), delayMs: z.int().min(0) }),
  z.strictObject({ type: z.literal('down') }),
]);
const networkStep = z.strictObject({
  ...stepTiming,
  kind: z.literal('network'),
  link: networkLink,
  toxic: networkToxic,
  stream: z.enum(['downstream', 'upstream']).default('downstream'),
  toxicity: z.number().min(0).max(1).default(1),
});

/**
 * A real process fault on one regional gateway instance or one fleet member, which the embedded
 * target then runs as its own child process (harness/process): `kill` is SIGKILL at `at`, the
 * process started again when the step ends (absent `for`: dead until the run ends); `pause` is
 * SIGSTOP, SIGCONT when it ends; `restart` is SIGTERM and a new process at once; and
 * `disconnect-config` (a gateway only) makes its configuration source unreachable for the step,
 * as a self-hosted gateway cut off from its control plane, which keeps serving its last config.
 */
const processTarget = z.discriminatedUnion('of', [
  z.strictObject({ of: z.literal('gateway'), region: z.string().min(1) }),
  z.strictObject({ of: z.literal('backend'), backend: z.string().min(1) }),
]);
const processStep = z.strictObject({
  ...stepTiming,
  kind: z.literal('process'),
  action: z.enum(['kill', 'pause', 'restart', 'disconnect-config']),
  process: processTarget,
});

/**
 * A timeline step, typed by what it breaks. Each kind has its injector (harness/run/fault-timeline.ts)
 * and a target lists the kinds it can apply; a plan with a kind its target cannot apply is
 * refused before anything starts. A new kind is added here, with its own fields, and to the
 * injectors of the targets that can apply it.
 */
export const timelineStepSchema = z.discriminatedUnion('kind', [fleetFaultStep, regionDownStep, networkStep, processStep]);
export const stepKinds = ['fleet-fault', 'region-down', 'network', 'process'] as const;
export type StepKind = (typeof stepKinds)[number];

export const verifierNames = ['spillover', 'circuit-breaker', 'priority', 'failover', 'token-limit'] as const;
export type VerifierName = (typeof verifierNames)[number];

export const scenarioPlanSchema = z.strictObject({
  $comment: z.string().optional(),
  description: z.string().min(1),
  /** Which scenarios/<script>.scenario.ts runs this plan; default: the plan's own name. */
  script: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
  durationSeconds: z.number().positive().max(3600),
  /**
   * What the scenario calls: the chat deployment (each backend's capacity is this deployment's),
   * the embeddings deployment, and the Azure OpenAI api-version on every request.
   */
  deployment: z.string().min(1).default('gpt-4o'),
  embeddingDeployment: z.string().min(1).default('text-embedding-3-small'),
  apiVersion: z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'an Azure OpenAI api-version such as 2024-10-21').default('2024-10-21'),
  /**
   * Where the plan's Azure OpenAI API is mounted before `/openai`, e.g. `/capacity/heavy` for a
   * capacity profile's API (deploy/apim/apis/capacity-*); absent: at the gateway's root, as the
   * sample's azure-openai API is. The k6 requests and the preflight's probes both use it.
   */
  apiBasePath: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'a path such as /capacity/heavy: segments of letters, digits, . _ ~ -, with a leading / and none at the end')
    .optional(),
  /** Through the front door (the default) or straight to one regional gateway. */
  entry: z.enum(['front-door', 'primary-region']).default('front-door'),
  traffic: z.array(trafficClass).min(1),
  timeline: z.array(timelineStepSchema).default([]),
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

/** A plan with its name (the key it has in k6.config.json's `scenarios`). */
export type ScenarioPlan = z.output<typeof scenarioPlanSchema> & { name: string };
export type TrafficClass = ScenarioPlan['traffic'][number];
export type BearerTokenSpec = NonNullable<TrafficClass['bearerToken']>;
export type TimelineStep = z.output<typeof timelineStepSchema>;
/** The step of one kind. */
export type StepOf<K extends StepKind> = Extract<TimelineStep, { kind: K }>;
