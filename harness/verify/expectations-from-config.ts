/**
 * Expectations for a run of the local emulator (or of a real APIM whose APIOps folder is known):
 * breaker rules from the gateway's backends, regions in front door priority order with its
 * probe settings, the fleet's backends (names, regions, kinds: not their capacities, which are
 * facts of each run's fleet, see RunEvidence.fleet), and consumer budgets from k6.config.json.
 */
import type { K6Config } from '../run/scenario-plan.ts';
import type { BreakerExpectation, BreakerRule, Expectations } from './expectations.ts';

/**
 * The parts of a gateway's configuration expectations are drawn from: its backends (with their
 * breaker rules and pool members), its regions, and its front door. Stated here rather than
 * imported, so that the verifiers depend on no emulator module (docs/contracts.md): the
 * emulator's loaded APIOps folder (mocks/apim/config, GatewayConfig) has these parts, and so
 * would any other source of a gateway's configuration.
 */
export interface GatewayConfigFacts {
  backends: ReadonlyMap<
    string,
    | {
        type: 'Single';
        id: string;
        /** https://<resource>.openai.azure.com/… names the fleet resource <resource>. */
        url: string;
        circuitBreaker?: {
          /** Count (or percentage) of failures within an interval (ms) of responses in these status ranges. */
          failureCondition: { count?: number; interval: number; statusCodeRanges: readonly { min: number; max: number }[] };
          tripDurationMs: number;
          acceptRetryAfter: boolean;
        };
      }
    | { type: 'Pool'; id: string; members: readonly { id: string }[] }
  >;
  /** `primary` marks the primary region. */
  regions: readonly { name: string; primary: boolean }[];
  frontDoor?: {
    probeIntervalSeconds: number;
    sampleSize: number;
    successfulSamplesRequired: number;
    origins: readonly { region: string; enabled: boolean; priority: number; weight: number }[];
  };
}

/** The parts of the fleet's description (`fleet up --json`) expectations are drawn from. */
export interface FleetBackendFacts {
  backends: readonly { name: string; region: string; kind: 'ptu' | 'payg'; deployments: readonly { name: string }[] }[];
}

export interface ExpectationsSource {
  gatewayConfig: GatewayConfigFacts;
  /** The fleet's description (`fleet up --json`): backends, regions, kinds. */
  fleet: FleetBackendFacts;
  k6Config: K6Config;
  /** The deployment the scenario calls: only backends hosting it are expected to serve. */
  deployment: string;
  /** Replace some default tolerances. */
  tolerances?: Partial<Expectations['tolerances']>;
}

/**
 * Default tolerances (docs/verifiers.md explains each):
 * - tripDurationMs 1000: a trip may look up to 1 s shorter than configured (the ledger's end of
 *   the failing answer versus the moment the gateway read it, and APIM's "approximate" breaker);
 * - tokenLimitRelative 0.1: admitted tokens may exceed the budget by 10% (prompt estimates
 *   versus the usage reported, the limiter's 1 s buckets), on top of one request's worth;
 * - spilloverShare 0.1: the PTU share may differ from min(1, capacity / offered) by 10 points
 *   (the PTU bucket's burst, completion lengths, capacity idle during short breaker trips).
 */
export const defaultTolerances: Expectations['tolerances'] = { tripDurationMs: 1_000, tokenLimitRelative: 0.1, spilloverShare: 0.1 };

/** The fleet resource a backend URL names (https://<resource>.openai.azure.com/…), else undefined. */
export function fleetResourceOf(url: string): string | undefined {
  try {
    return /^([a-z0-9-]+)\.openai\.azure\.com$/i.exec(new URL(url).hostname)?.[1]?.toLowerCase();
  } catch {
    return undefined;
  }
}

export function expectationsFromConfig(source: ExpectationsSource): Expectations {
  const { gatewayConfig, fleet, k6Config, deployment } = source;

  const backends: Expectations['backends'] = [];
  for (const b of fleet.backends) {
    if (b.deployments.some((d) => d.name === deployment)) backends.push({ name: b.name, region: b.region, kind: b.kind });
  }

  const { breakers, entityRoutes } = breakerExpectations(gatewayConfig);

  const fd = gatewayConfig.frontDoor;
  const configured = gatewayConfig.regions.slice().sort((a, b) => Number(b.primary) - Number(a.primary)).map((r) => r.name);
  let regions = configured;
  if (fd) {
    const order = fd.origins
      .map((origin, i) => ({ origin, i }))
      .filter(({ origin }) => origin.enabled)
      .sort((a, b) => a.origin.priority - b.origin.priority || b.origin.weight - a.origin.weight || a.i - b.i)
      .map(({ origin }) => origin.region);
    regions = [...order, ...configured.filter((r) => !order.includes(r))];
  }

  const consumers: Expectations['consumers'] = {};
  for (const [name, c] of Object.entries(k6Config.consumers)) consumers[name] = { tokensPerMinute: c.tokensPerMinute, priority: c.priority };

  return {
    backends,
    breakers,
    ...(entityRoutes ? { entityRoutes } : {}),
    regions,
    frontDoor: fd
      ? {
          probeIntervalSeconds: fd.probeIntervalSeconds,
          sampleSize: fd.sampleSize,
          successfulSamplesRequired: fd.successfulSamplesRequired,
          origins: fd.origins.filter((origin) => origin.enabled).map((origin) => ({ region: origin.region, priority: origin.priority, weight: origin.weight })),
        }
      : null,
    consumers,
    tolerances: { ...defaultTolerances, ...source.tolerances },
  };
}

/**
 * Breakers are keyed by the fleet resource the backend calls, the name the ledger records.
 * Rules without a count (percentage only) are left out: their minimum volume is not
 * documented, so no reference model can replay them. A resource behind several Single
 * entities with breakers (a dedicated lane) lists them, and `entityRoutes` says, for each
 * backend id a gateway log row can name, which entity its request used for each resource.
 */
function breakerExpectations(gatewayConfig: GatewayConfigFacts): { breakers: Record<string, BreakerExpectation>; entityRoutes: Record<string, Record<string, string>> | undefined } {
  const rulesOf = new Map<string, Map<string, BreakerRule>>();
  const resourceOfEntity = new Map<string, string>();
  for (const backend of gatewayConfig.backends.values()) {
    if (backend.type !== 'Single') continue;
    const resource = fleetResourceOf(backend.url) ?? backend.id;
    resourceOfEntity.set(backend.id, resource);
    const rule = backend.circuitBreaker;
    if (!rule || rule.failureCondition.count === undefined) continue;
    const rules = rulesOf.get(resource) ?? new Map<string, BreakerRule>();
    rulesOf.set(resource, rules);
    rules.set(backend.id, {
      count: rule.failureCondition.count,
      intervalMs: rule.failureCondition.interval,
      tripDurationMs: rule.tripDurationMs,
      acceptRetryAfter: rule.acceptRetryAfter,
      failureStatusRanges: rule.failureCondition.statusCodeRanges.map((r) => ({ min: r.min, max: r.max })),
    });
  }
  const breakers: Record<string, BreakerExpectation> = {};
  for (const [resource, rules] of rulesOf) {
    const entities = [...rules.keys()].sort();
    const all = entities.map((e) => rules.get(e) as BreakerRule);
    const longest = all.reduce((a, b) => (b.tripDurationMs > a.tripDurationMs ? b : a));
    if (entities.length === 1) breakers[resource] = longest;
    else if (all.every((r) => sameRule(r, longest))) breakers[resource] = { ...longest, entities };
    else breakers[resource] = { ...longest, entities, entityRules: Object.fromEntries(entities.map((e) => [e, rules.get(e) as BreakerRule])) };
  }
  if (![...rulesOf.values()].some((rules) => rules.size > 1)) return { breakers, entityRoutes: undefined };

  // A request names one backend id in its log row; every entity it could have reached a
  // resource through is a member of the same pool (or the id itself).
  const routes: Record<string, Record<string, string>> = {};
  const ambiguous = new Set<string>();
  const note = (loggedId: string, entity: string): void => {
    const resource = resourceOfEntity.get(entity);
    if (resource === undefined) return;
    const byResource = (routes[loggedId] ??= {});
    const key = `${loggedId}|${resource}`;
    if (byResource[resource] !== undefined && byResource[resource] !== entity) ambiguous.add(key);
    byResource[resource] = entity;
  };
  for (const backend of gatewayConfig.backends.values()) {
    if (backend.type === 'Single') {
      note(backend.id, backend.id);
      continue;
    }
    const members = backend.members.map((m) => m.id);
    for (const member of members) {
      note(backend.id, member);
      for (const sibling of members) note(member, sibling);
    }
  }
  for (const key of ambiguous) {
    const [loggedId, resource] = key.split('|') as [string, string];
    delete routes[loggedId]?.[resource];
  }
  return { breakers, entityRoutes: routes };
}

function sameRule(a: BreakerRule, b: BreakerRule): boolean {
  return a.count === b.count && a.intervalMs === b.intervalMs && a.tripDurationMs === b.tripDurationMs && a.acceptRetryAfter === b.acceptRetryAfter && JSON.stringify(a.failureStatusRanges) === JSON.stringify(b.failureStatusRanges);
}
