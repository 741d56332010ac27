/**
 * Which breaker a backend request went through. Breaker state belongs to the gateway's backend
 * entity, not to the Azure OpenAI resource behind it, so a resource reached through two
 * entities (a dedicated high-priority lane next to the pool's own member) has two breakers,
 * each tripping on its own requests' failures. The ledger names only the resource; the lane of
 * a request comes from its gateway log row (joined on the correlation id): the BackendId it
 * logs, through `Expectations.entityRoutes`, names the entity that request used for the resource.
 */
import type { RequestRecord } from '../contracts/ledger-record.ts';
import type { EvidenceIndex } from './evidence-index.ts';
import type { BreakerExpectation, Expectations } from './expectations.ts';

export interface BreakerLane {
  /** The backend entity whose breaker this is; null when the resource has a single breaker. */
  entity: string | null;
  /** Whether a request (to this resource or to a pool peer) was routed through this entity's pool. */
  has(record: RequestRecord): boolean;
}

export interface ResourceLanes {
  lanes: BreakerLane[];
  /** Requests to the resource whose lane the evidence does not tell (no log row, or an unmapped BackendId). */
  unattributed: RequestRecord[];
}

/** The entity a request used to reach `resource`, from its gateway log row; undefined when unknown. */
export function entityFor(index: EvidenceIndex, expectations: Expectations, record: RequestRecord, resource: string): string | undefined {
  if (!record.correlationId) return undefined;
  const logged = index.gatewayRows.get(record.correlationId)?.BackendId;
  if (!logged) return undefined;
  return expectations.entityRoutes?.[logged]?.[resource];
}

export function breakerLanes(index: EvidenceIndex, expectations: Expectations, resource: string, breaker: BreakerExpectation): ResourceLanes {
  const entities = breaker.entities ?? [];
  if (entities.length <= 1) return { lanes: [{ entity: null, has: () => true }], unattributed: [] };
  const lanes = entities.map((entity) => ({ entity, has: (record: RequestRecord) => entityFor(index, expectations, record, resource) === entity }));
  const unattributed = (index.byBackend.get(resource) ?? []).filter((r) => !entities.includes(entityFor(index, expectations, r, resource) ?? ''));
  return { lanes, unattributed };
}
