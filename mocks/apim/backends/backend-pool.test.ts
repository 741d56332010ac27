import { describe, expect, it } from 'vitest';
import { seededRng } from '../../shared/rng.ts';
import type { Rng } from '../../shared/rng.ts';
import { backendNameFromId, MAX_POOL_MEMBERS, selectBackend, validatePool } from './backend-pool.ts';
import type { PoolMember, PoolSelection } from './backend-pool.ts';

/** The seed pool: PTU1 and PTU2 share priority 1 at 50/50; PAYG is the priority-2 spillover. */
const seedPool: PoolMember[] = [
  { id: 'PTU1', priority: 1, weight: 50 },
  { id: 'PTU2', priority: 1, weight: 50 },
  { id: 'PAYG', priority: 2, weight: 100 },
];

const DRAWS = 10_000;

function tally(pool: readonly PoolMember[], tripped: ReadonlySet<string>, seed = 42, draws = DRAWS): Map<string, number> {
  const rng = seededRng(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < draws; i++) {
    const choice = selectBackend(pool, (id) => tripped.has(id), rng);
    const key = typeof choice === 'string' ? choice : 'exhausted';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function share(counts: Map<string, number>, id: string, draws = DRAWS): number {
  return (counts.get(id) ?? 0) / draws;
}

describe('selectBackend with the seed pool', () => {
  it('splits priority-1 traffic about 50/50 and sends nothing to PAYG while a P1 member is up', () => {
    const counts = tally(seedPool, new Set());
    // 10k draws: one standard deviation of a 50% share is 0.5%; allow 2% (4 sigma).
    expect(Math.abs(share(counts, 'PTU1') - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(share(counts, 'PTU2') - 0.5)).toBeLessThan(0.02);
    expect(counts.get('PAYG')).toBeUndefined();
  });

  it('keeps PAYG at 0% when only one P1 member is tripped', () => {
    const counts = tally(seedPool, new Set(['PTU1']));
    expect(counts.get('PTU2')).toBe(DRAWS);
    expect(counts.get('PAYG')).toBeUndefined();
  });

  it('falls back to priority 2 only when every priority-1 member is tripped', () => {
    const counts = tally(seedPool, new Set(['PTU1', 'PTU2']));
    expect(counts.get('PAYG')).toBe(DRAWS);
  });

  it('returns exhausted when every member is tripped', () => {
    expect(selectBackend(seedPool, () => true, seededRng(1))).toEqual({ exhausted: true });
    expect(selectBackend([], () => false, seededRng(1))).toEqual({ exhausted: true });
  });

  it('serves the higher group again as soon as one of its members is untripped', () => {
    const tripped = new Set(['PTU1', 'PTU2']);
    const rng = seededRng(3);
    expect(selectBackend(seedPool, (id) => tripped.has(id), rng)).toBe('PAYG');
    tripped.delete('PTU2');
    expect(selectBackend(seedPool, (id) => tripped.has(id), rng)).toBe('PTU2');
  });

  it('is repeatable for a seed and uses exactly one draw per selection', () => {
    const run = (seed: number): PoolSelection[] => {
      const rng = seededRng(seed);
      return Array.from({ length: 50 }, () => selectBackend(seedPool, () => false, rng));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    let draws = 0;
    const inner = seededRng(9);
    const counting: Rng = { next: () => (draws++, inner.next()) };
    for (let i = 0; i < 10; i++) selectBackend(seedPool, (id) => id === 'PTU1', counting);
    selectBackend(seedPool, () => true, counting);
    expect(draws).toBe(10);
  });
});

describe('selectBackend weights and priorities', () => {
  it('splits by relative weight (80/20)', () => {
    const counts = tally(
      [
        { id: 'a', priority: 1, weight: 80 },
        { id: 'b', priority: 1, weight: 20 },
      ],
      new Set(),
    );
    expect(Math.abs(share(counts, 'a') - 0.8)).toBeLessThan(0.02);
    expect(Math.abs(share(counts, 'b') - 0.2)).toBeLessThan(0.02);
  });

  it('splits evenly when all weights are 0 or missing (round-robin)', () => {
    const counts = tally([{ id: 'a' }, { id: 'b', weight: 0 }, { id: 'c' }], new Set(), 11);
    for (const id of ['a', 'b', 'c']) expect(Math.abs(share(counts, id) - 1 / 3), id).toBeLessThan(0.02);
  });

  it('gives a weight-0 member no traffic while a weighted member of its group is up, and traffic once they are tripped', () => {
    const pool: PoolMember[] = [
      { id: 'w', priority: 1, weight: 10 },
      { id: 'z', priority: 1, weight: 0 },
      { id: 'low', priority: 2, weight: 100 },
    ];
    expect(tally(pool, new Set()).get('w')).toBe(DRAWS);
    expect(tally(pool, new Set(['w'])).get('z')).toBe(DRAWS);
  });

  it('ranks a lower priority number first, and a missing priority as 0', () => {
    const pool: PoolMember[] = [
      { id: 'p5', priority: 5, weight: 100 },
      { id: 'p3', priority: 3, weight: 1 },
    ];
    expect(tally(pool, new Set()).get('p3')).toBe(DRAWS);
    const withMissing: PoolMember[] = [{ id: 'p1', priority: 1, weight: 100 }, { id: 'unset' }];
    expect(tally(withMissing, new Set()).get('unset')).toBe(DRAWS);
  });

  it('maps draws onto cumulative weights in member order', () => {
    const pool: PoolMember[] = [
      { id: 'a', weight: 25 },
      { id: 'b', weight: 75 },
    ];
    const at = (value: number) => selectBackend(pool, () => false, { next: () => value });
    expect(at(0)).toBe('a');
    expect(at(0.2499)).toBe('a');
    expect(at(0.25)).toBe('b');
    expect(at(0.9999999)).toBe('b');
  });
});

describe('validatePool', () => {
  const known = { backends: new Set(['PTU1', 'PTU2', 'PAYG', 'other-pool']), pools: new Set(['other-pool']) };

  it('accepts the seed pool, with names, /backends/ ids or full ARM ids', () => {
    expect(validatePool(seedPool, known)).toEqual([]);
    const armId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/backends/PTU1';
    expect(validatePool([{ id: armId }, { id: '/backends/PTU2' }], known)).toEqual([]);
  });

  it('rejects more than 30 members', () => {
    const many = Array.from({ length: MAX_POOL_MEMBERS + 1 }, (_, i) => ({ id: `b${i}` }));
    const names = new Set(many.map((m) => m.id));
    expect(validatePool(many.slice(0, MAX_POOL_MEMBERS), { backends: names, pools: new Set() })).toEqual([]);
    const errors = validatePool(many, { backends: names, pools: new Set() }, 'big');
    expect(errors).toEqual([{ code: 'too-many-members', message: 'backend pool "big" has 31 members; APIM allows at most 30' }]);
  });

  it('rejects priority or weight outside the integers 0-100', () => {
    const errors = validatePool(
      [
        { id: 'PTU1', priority: 101, weight: 50 },
        { id: 'PTU2', priority: -1, weight: 100.5 },
        { id: 'PAYG', priority: 0, weight: 100 },
      ],
      known,
    );
    expect(errors.map((e) => [e.code, e.memberId])).toEqual([
      ['priority-out-of-range', 'PTU1'],
      ['priority-out-of-range', 'PTU2'],
      ['weight-out-of-range', 'PTU2'],
    ]);
    expect(errors[0]?.message).toMatch(/priority 101/);
  });

  it('rejects a member that is a pool and ids that name no backend', () => {
    const errors = validatePool([{ id: '/backends/other-pool' }, { id: 'missing' }], known);
    expect(errors.map((e) => [e.code, e.memberId])).toEqual([
      ['nested-pool', '/backends/other-pool'],
      ['unknown-backend', 'missing'],
    ]);
  });
});

describe('backendNameFromId', () => {
  it('takes the segment after the last /backends/', () => {
    expect(backendNameFromId('PTU1')).toBe('PTU1');
    expect(backendNameFromId('/backends/PTU1')).toBe('PTU1');
    expect(backendNameFromId('/subscriptions/s/providers/Microsoft.ApiManagement/service/x/backends/PAYG/')).toBe('PAYG');
  });
});
