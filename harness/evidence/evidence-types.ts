import type { FrontDoorEvent } from '../../mocks/frontdoor/front-door-events.ts';
import type { FaultChangeRecord, RequestRecord } from '../../mocks/aoai/ledger.ts';
import type { GatewayLogRow, LlmLogRow } from '../../mocks/apim/gateway/gateway-log-schema.ts';

/**
 * Everything a run leaves behind that a verifier may judge, all timestamps in epoch
 * milliseconds on the machine's one clock (k6, the fleet, the gateways and the harness run on
 * the same host).
 */

/**
 * What the client saw for one request: k6 emits one `spillway_request` Trend sample per
 * request (scenarios/lib/metrics.ts) with these as tags, read back from k6's JSON output.
 */
export interface ClientRecord {
  /** When the response ended (k6's sample time), epoch ms. */
  time: number;
  /** Request duration in ms (the sample's value). */
  durationMs: number;
  /** 0 when no response arrived (connection refused or reset, timeout). */
  status: number;
  scenario: string;
  /** Consumer class: critical-ops, user-facing, batch, dev-test. */
  consumer: string;
  /** The X-Priority the client sent: high, medium, low, or '' when none. */
  priority: string;
  operation: 'chat' | 'embeddings';
  stream: boolean;
  /** x-fleet-backend of the answer, '' when the gateway answered itself or nothing came back. */
  servedBy: string;
  /** x-fleet-region of the answer, ''. */
  servedRegion: string;
  /** x-fd-origin: the region the front door routed to, '' without a front door. */
  frontDoorOrigin: string;
  /** Who refused a 429/403/5xx: the gateway itself, a backend (passed through), or '' for none. */
  errorOrigin: 'gateway' | 'backend' | 'frontdoor' | '';
  /**
   * Why the gateway itself refused, from its body's message: token-limit ("Token limit is
   * exceeded"), token-quota, rate-limit, quota, pool-exhausted (503 with no backend), other; ''.
   */
  gatewayReason: 'token-limit' | 'token-quota' | 'rate-limit' | 'quota' | 'pool-exhausted' | 'other' | '';
  /** The Retry-After header of a 429, '' when absent. */
  retryAfter: string;
  /** The gateway's remaining-tokens header (x-gateway-remaining-tokens), '' when absent. */
  remainingTokens: string;
  promptTokens: number;
  completionTokens: number;
}

/** A step of the fault timeline as it was really applied. */
export interface AppliedFault {
  /** The plan's step id. */
  id: string;
  /** Planned offset from k6's start, seconds. */
  atSeconds: number;
  action: string;
  target: string;
  /** Real times the injection and the clearing happened (epoch ms); null if not (yet) applied. */
  appliedAt: number | null;
  clearedAt: number | null;
  /** What went wrong applying it, if anything. */
  error?: string;
}

/**
 * The fleet behind the gateway as this run configured it (a scenario's capacity overrides
 * applied): facts about the backends, never expectations of the gateway. Kept apart so that
 * one expectations file holds for every plan, whatever capacity each plan gives the fleet.
 */
export interface FleetFacts {
  /** The deployment the scenario calls; each backend's capacity is this deployment's. */
  deployment: string;
  backends: { name: string; region: string; kind: 'ptu' | 'payg'; capacityTpm: number }[];
}

export interface RunEvidence {
  /** k6's start and end, epoch ms. */
  window: { start: number; end: number };
  /** The fleet's backends and their capacities in this run; null when the run did not know its fleet. */
  fleet: FleetFacts | null;
  client: ClientRecord[];
  ledger: RequestRecord[];
  faultChanges: FaultChangeRecord[];
  gatewayLogs: GatewayLogRow[];
  llmLogs: LlmLogRow[];
  /** Circuit breaker events (Event Grid shape, with the region of the instance that tripped). */
  breakerEvents: { eventType: string; subject: string; eventTime: string; region: string; data: { backendName: string } }[];
  frontDoorEvents: FrontDoorEvent[];
  timeline: AppliedFault[];
  /** Files these came from, relative to the run folder, for verdicts to cite. */
  files: { client: string; ledger: string; gatewayLogs: string; llmLogs: string; breakerEvents: string; frontDoorEvents: string; k6Summary: string };
}
