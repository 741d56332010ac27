/**
 * Lookups over one run's evidence that several verifiers share: the ledger's requests in time
 * order, the gateway log row of each correlation id (which gateway instance sent a backend
 * request), the attempts of one gateway request (retries share the correlation id), and the
 * priority and consumer class of a request. Built once per evidence object.
 */
import type { RequestRecord } from '../contracts/ledger-record.ts';
import type { GatewayLogEvidence } from '../contracts/gateway-log-rows.ts';
import type { ClientRecord, RunEvidence } from '../evidence/evidence-types.ts';
import { hasGatewayLogs } from './evidence-sources.ts';
import type { Expectations } from './expectations.ts';

export interface EvidenceIndex {
  /** Ledger requests (fault records filtered out) by start, then seq. */
  readonly requests: readonly RequestRecord[];
  /** Ledger requests per backend, by start. */
  readonly byBackend: ReadonlyMap<string, readonly RequestRecord[]>;
  /** ApiManagementGatewayLogs rows by CorrelationId (the sample forwards it as x-correlation-id). */
  readonly gatewayRows: ReadonlyMap<string, GatewayLogEvidence>;
  /** Ledger requests sharing a correlation id: one gateway request and its retries, by start. */
  readonly attempts: ReadonlyMap<string, readonly RequestRecord[]>;
  /** Backend name → { region, kind } as the ledger saw them. */
  readonly backendInfo: ReadonlyMap<string, { region: string; kind: 'ptu' | 'payg' }>;
  /**
   * Whether the run brought the gateway's log rows (collected whole). Without them every
   * gateway instance is known only by the region of the backends it sent to (instanceOf), and
   * a request's subscription only by what the backend received (ledgerPriority).
   */
  readonly gatewayLogs: boolean;
}

// Keyed by the arrays the index is built from, not the evidence object: the views runVerifiers
// gives each verifier share these arrays, and so share one index.
const cache = new WeakMap<readonly RequestRecord[], WeakMap<readonly GatewayLogEvidence[], EvidenceIndex>>();

export function indexEvidence(evidence: RunEvidence): EvidenceIndex {
  let byLogs = cache.get(evidence.ledger);
  if (!byLogs) cache.set(evidence.ledger, (byLogs = new WeakMap()));
  const cached = byLogs.get(evidence.gatewayLogs);
  if (cached && cached.gatewayLogs === hasGatewayLogs(evidence)) return cached;
  const requests = evidence.ledger
    .filter((r) => (r as { type?: string }).type === undefined || r.type === 'request')
    .slice()
    .sort((a, b) => a.start - b.start || a.seq - b.seq);
  const byBackend = new Map<string, RequestRecord[]>();
  const attempts = new Map<string, RequestRecord[]>();
  const backendInfo = new Map<string, { region: string; kind: 'ptu' | 'payg' }>();
  for (const record of requests) {
    pushTo(byBackend, record.backend, record);
    if (record.correlationId) pushTo(attempts, record.correlationId, record);
    if (!backendInfo.has(record.backend)) backendInfo.set(record.backend, { region: record.region, kind: record.kind });
  }
  const gatewayRows = new Map<string, GatewayLogEvidence>();
  for (const row of evidence.gatewayLogs) if (row.CorrelationId) gatewayRows.set(row.CorrelationId, row);
  const index: EvidenceIndex = { requests, byBackend, gatewayRows, attempts, backendInfo, gatewayLogs: hasGatewayLogs(evidence) };
  byLogs.set(evidence.gatewayLogs, index);
  return index;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The gateway instance (region) that sent a backend request: the Region of the gateway log
 * row with the same correlation id; without one, the backend's own region (the sample routes
 * each region's traffic to its own backends). `fromLog` says which.
 *
 * A gateway that keeps no such rows (one nobody here wrote, such as nginx in front of the
 * fleet) is so judged as ONE instance per region of its backends: nothing else tells its
 * instances apart, and the ledger alone cannot. Verdicts say so (circuit-breaker.verifier.ts).
 */
export function instanceOf(index: EvidenceIndex, record: RequestRecord): { region: string; fromLog: boolean } {
  const row = record.correlationId ? index.gatewayRows.get(record.correlationId) : undefined;
  if (row?.Region) return { region: row.Region, fromLog: true };
  return { region: record.region, fromLog: false };
}

/**
 * The consumer class a subscription belongs to: the class of the same name, else the longest
 * class name the subscription id starts with (the sample's convention: "critical-ops-orchestrator"
 * is a critical-ops subscription), compared case-insensitively.
 */
export function consumerOfSubscription(subscriptionId: string | null | undefined, consumers: Expectations['consumers']): string | undefined {
  if (!subscriptionId) return undefined;
  const id = subscriptionId.toLowerCase();
  let best: string | undefined;
  for (const name of Object.keys(consumers)) {
    const lower = name.toLowerCase();
    if (id === lower) return name;
    if (id.startsWith(lower) && (best === undefined || lower.length > best.length)) best = name;
  }
  return best;
}

/**
 * The priority a backend request carried: the X-Priority the backend received (the sample
 * forwards the effective priority it decided), else the default of the subscription's consumer
 * class (from the ledger's subscription header or the gateway log's ApimSubscriptionId), else
 * "none".
 *
 * Without gateway log rows this is what the backend received and nothing more: a gateway that
 * forwards the client's X-Priority (nginx does, as it forwards every header) gives the client's
 * class; one that forwards neither X-Priority nor a subscription id (x-subscription-id) gives
 * "none", which the spillover and priority checks judge as the pool's class.
 */
export function ledgerPriority(index: EvidenceIndex, record: RequestRecord, expectations: Expectations): string {
  const header = record.priority?.trim().toLowerCase();
  if (header) return header;
  const row = record.correlationId ? index.gatewayRows.get(record.correlationId) : undefined;
  const consumer = consumerOfSubscription(record.subscription ?? row?.ApimSubscriptionId, expectations.consumers);
  return consumer ? (expectations.consumers[consumer]?.priority ?? 'none') : 'none';
}

/** The priority class of a client request: the X-Priority it sent, else its consumer class's default. */
export function clientPriority(record: ClientRecord, expectations: Expectations): string {
  const header = record.priority.trim().toLowerCase();
  if (header && header !== 'none') return header;
  return expectations.consumers[record.consumer]?.priority ?? 'none';
}

/** When the client sent the request: the sample time is the response's end. */
export function clientStart(record: ClientRecord): number {
  return record.time - record.durationMs;
}

/** The region whose gateway handled a client request: the front door's origin, else the serving backend's region, '' when unknown. */
export function clientRegion(record: ClientRecord): string {
  return record.frontDoorOrigin || record.servedRegion || '';
}

/** Whether a client 429/403 was the consumer's own token budget (llm-token-limit), not capacity. */
export function isTokenBudgetRefusal(record: ClientRecord): boolean {
  return record.gatewayReason === 'token-limit' || record.gatewayReason === 'token-quota';
}

/**
 * Backends of one region and kind: those the expectations list, plus any the ledger saw (so a
 * backend missing from the expectations is not silently ignored).
 */
export function backendsOf(index: EvidenceIndex, expectations: Expectations, region: string, kind: 'ptu' | 'payg'): string[] {
  const names = new Set(expectations.backends.filter((b) => b.region === region && b.kind === kind).map((b) => b.name));
  for (const [name, info] of index.backendInfo) if (info.region === region && info.kind === kind) names.add(name);
  return [...names].sort();
}

/** Every region the expectations or the ledger know of, the expectations' order first. */
export function knownRegions(index: EvidenceIndex, expectations: Expectations): string[] {
  const regions = [...expectations.regions];
  for (const b of expectations.backends) if (!regions.includes(b.region)) regions.push(b.region);
  for (const info of index.backendInfo.values()) if (!regions.includes(info.region)) regions.push(info.region);
  return regions;
}
