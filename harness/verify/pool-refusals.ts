/**
 * Requests a gateway instance refused itself because its pool had no member left: APIM's 503
 * when every member's breaker is open [research: apim-semantics.md, "A tripped breaker makes
 * APIM return 503"]. The ledger cannot show these (nothing reached a backend); the gateway's
 * own log row can, and a breaker lane's refusals are evidence about that lane's breakers:
 * while a member's breaker is closed the pool is not exhausted, so a refusal at a moment when
 * the member should have been closed again, and had received nothing that could trip it anew,
 * shows that breaker still open.
 *
 * Only rows whose request reached no backend at all are counted: their first attempt found the
 * pool exhausted at the row's own time (the request's arrival), so no retry timing blurs when
 * the pool was empty. Rows are placed in a lane through `Expectations.entityRoutes` (the pool
 * id a refused row logs routes each resource through one entity), so this applies to resources
 * behind several entities (lanes) and to a row that names the resource's own entity.
 */
import type { GatewayLogEvidence } from '../contracts/gateway-log-rows.ts';
import type { BreakerLane } from './breaker-lanes.ts';
import type { EvidenceIndex } from './evidence-index.ts';
import type { Expectations } from './expectations.ts';

export interface PoolRefusal {
  /** The row's TimeGenerated, epoch ms: when the request arrived and first found the pool empty. */
  at: number;
  correlationId: string;
  /** The pool (or entity) the row names. */
  backendId: string;
}

/**
 * The instance's 503s, arriving strictly between `from` and `to`, for requests that reached no
 * backend and whose logged backend id routes `resource` through `lane`. Empty when the evidence
 * cannot tell: no gateway rows, or a ledger that carries no correlation ids (then "reached no
 * backend" cannot be known).
 */
export function poolRefusals(
  evidence: { gatewayLogs: readonly GatewayLogEvidence[] },
  index: EvidenceIndex,
  expectations: Expectations,
  resource: string,
  lane: BreakerLane,
  instance: string,
  from: number,
  to: number,
): PoolRefusal[] {
  if (!index.gatewayLogs || index.attempts.size === 0) return [];
  const entity = lane.entity ?? resource;
  const refusals: PoolRefusal[] = [];
  for (const row of evidence.gatewayLogs) {
    if (row.ResponseCode !== 503 || row.Region !== instance || !row.BackendId || !row.CorrelationId || !row.TimeGenerated) continue;
    const routed = row.BackendId === entity || expectations.entityRoutes?.[row.BackendId]?.[resource] === entity;
    if (!routed) continue;
    if ((index.attempts.get(row.CorrelationId)?.length ?? 0) > 0) continue;
    const at = Date.parse(row.TimeGenerated);
    if (at > from && at < to) refusals.push({ at, correlationId: row.CorrelationId, backendId: row.BackendId });
  }
  return refusals.sort((a, b) => a.at - b.at);
}
