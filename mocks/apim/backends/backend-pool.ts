/**
 * Member selection for a load-balanced backend pool (`type: "Pool"`, `pool.services[]`
 * [DOC BK, SPEC-BE]) and validation of the pool definition.
 *
 * Documented behaviour this follows:
 * - Priority groups: "Backends in lower priority groups are used only when all backends in
 *   higher priority groups are unavailable because circuit breaker rules are tripped" [DOC BK].
 * - A lower priority number is a higher priority: the docs call `priority: 1` "the highest
 *   priority group" and Microsoft samples fall back P1 -> P2 [DOC BK, OBS].
 * - Within a group, traffic splits by relative weight; without weights it splits evenly
 *   ("round-robin"). Balancing is approximate: each gateway instance balances on its own [DOC BK].
 * - Only a tripped breaker removes a member; there is no health probing [DOC BK, DERIVED].
 * - At most 30 members, priority and weight 0-100, and a pool cannot contain a pool [DOC BK, SPEC-BE].
 *
 * Choices where the docs are silent:
 * - A missing priority is 0 (the int default); 0 therefore ranks above 1.
 * - A missing weight is 0. Weight 0 members of a group get no traffic while any member of the
 *   same group with a positive weight is available; when only zero-weight members remain
 *   available (or all weights are 0) they split evenly. So a zero weight never removes a
 *   member from the pool, it only makes it the group's last resort.
 * - "Round-robin" and weighted splits are both modelled as a seeded random draw, which gives
 *   the documented proportions approximately, as APIM does.
 */
import type { Rng } from '../../shared/rng.ts';

export interface PoolMember {
  /** Backend id: a name, `/backends/{name}`, or a full ARM id ending in `/backends/{name}`. */
  id: string;
  priority?: number;
  weight?: number;
}

export interface PoolExhausted {
  /** Every member is tripped; the gateway answers 503 [DOC BK]. */
  exhausted: true;
}

export type PoolSelection = string | PoolExhausted;

export const MAX_POOL_MEMBERS = 30;

/**
 * Picks the member to forward to. `isTripped(id)` reports a member's breaker state (a member
 * without a breaker is never tripped). Uses exactly one draw from `rng` unless the pool is
 * exhausted, so a seeded run is repeatable.
 */
export function selectBackend(pool: readonly PoolMember[], isTripped: (id: string) => boolean, rng: Rng): PoolSelection {
  const available = pool.filter((member) => !isTripped(member.id));
  if (available.length === 0) return { exhausted: true };

  // Only the best (lowest-numbered) priority with an available member is eligible: a lower
  // group is used only when every member of all higher groups is tripped [DOC BK].
  const best = Math.min(...available.map((m) => m.priority ?? 0));
  const group = available.filter((m) => (m.priority ?? 0) === best);

  const weighted = group.filter((m) => (m.weight ?? 0) > 0);
  const draw = rng.next();
  if (weighted.length === 0) {
    // All remaining weights are 0 or missing: even split.
    return (group[Math.floor(draw * group.length)] ?? (group[group.length - 1] as PoolMember)).id;
  }
  const total = weighted.reduce((sum, m) => sum + (m.weight ?? 0), 0);
  let point = draw * total;
  for (const member of weighted) {
    point -= member.weight ?? 0;
    if (point < 0) return member.id;
  }
  // Only reachable through floating-point rounding at the very top of the range.
  return (weighted[weighted.length - 1] as PoolMember).id;
}

/** The backend name in a pool member id: the segment after the last `/backends/`, else the id itself. */
export function backendNameFromId(id: string): string {
  const marker = '/backends/';
  const at = id.lastIndexOf(marker);
  if (at < 0) return id;
  return id.slice(at + marker.length).replace(/\/+$/, '');
}

export type PoolValidationCode = 'too-many-members' | 'priority-out-of-range' | 'weight-out-of-range' | 'nested-pool' | 'unknown-backend';

export interface PoolValidationError {
  code: PoolValidationCode;
  /** The offending member's id; absent for errors about the pool as a whole. */
  memberId?: string;
  message: string;
}

export interface KnownBackends {
  /** Names of every backend defined in the service (single backends and pools). */
  backends: ReadonlySet<string>;
  /** Names of the backends that are pools. */
  pools: ReadonlySet<string>;
}

function inRange(value: number | undefined): boolean {
  return value === undefined || (Number.isInteger(value) && value >= 0 && value <= 100);
}

/**
 * Lists what APIM would reject in a pool definition: more than 30 members, priority or
 * weight outside the integers 0-100, a member that is itself a pool, and members that name
 * no known backend [DOC BK, SPEC-BE]. Member ids are matched by backend name, so ARM ids and
 * `/backends/{name}` forms both work. Empty when the pool is valid.
 */
export function validatePool(pool: readonly PoolMember[], known: KnownBackends, poolName = 'pool'): PoolValidationError[] {
  const errors: PoolValidationError[] = [];
  if (pool.length > MAX_POOL_MEMBERS) {
    errors.push({
      code: 'too-many-members',
      message: `backend pool "${poolName}" has ${pool.length} members; APIM allows at most ${MAX_POOL_MEMBERS}`,
    });
  }
  for (const member of pool) {
    const name = backendNameFromId(member.id);
    if (!inRange(member.priority)) {
      errors.push({
        code: 'priority-out-of-range',
        memberId: member.id,
        message: `backend pool "${poolName}": member "${member.id}" has priority ${member.priority}; it must be an integer from 0 to 100`,
      });
    }
    if (!inRange(member.weight)) {
      errors.push({
        code: 'weight-out-of-range',
        memberId: member.id,
        message: `backend pool "${poolName}": member "${member.id}" has weight ${member.weight}; it must be an integer from 0 to 100`,
      });
    }
    if (!known.backends.has(name)) {
      errors.push({
        code: 'unknown-backend',
        memberId: member.id,
        message: `backend pool "${poolName}": member "${member.id}" does not name a defined backend`,
      });
    } else if (known.pools.has(name)) {
      errors.push({
        code: 'nested-pool',
        memberId: member.id,
        message: `backend pool "${poolName}": member "${member.id}" is itself a pool; a pool cannot contain a pool`,
      });
    }
  }
  return errors;
}
