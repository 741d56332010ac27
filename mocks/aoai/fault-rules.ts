import { randomUUID } from 'node:crypto';
import { z, ZodError } from 'zod';
import type { Clock } from '../shared/clock.ts';
import type { Rng } from '../shared/rng.ts';
import { faultRequestSchema, type FaultRequestTarget, type FaultRule } from '../../harness/contracts/fault-rule.ts';

/**
 * The fault kinds, a fault request and the rule it becomes are a contract shared with the
 * harness (harness/contracts/fault-rule.ts, which says what each kind and field means); this
 * file keeps the fleet's set of active rules and decides which fire.
 */
export { faultKinds, faultRequestSchema, type FaultKind, type FaultRequest, type FaultRule } from '../../harness/contracts/fault-rule.ts';

export interface FaultTarget {
  backend: string;
  region: string;
  deployment: string | null;
}

export type FaultChange = { action: 'inject' | 'clear' | 'expire'; rule: FaultRule };

/** A backend a rule may aim at: its name, its region and the deployments it hosts. */
export interface FaultableBackend {
  name: string;
  region: string;
  deployments: readonly string[];
}

/**
 * Why a target reaches no backend of the fleet, as zod issues naming the field, or nothing
 * when it reaches one. A typo in a chaos timeline must fail the injection, not inject a rule
 * that never fires and let the drill "pass" without a fault.
 */
function targetProblems(target: FaultRequestTarget, backends: readonly FaultableBackend[]): z.core.$ZodIssue[] {
  const issue = (path: string[], message: string): z.core.$ZodIssue => ({ code: 'custom', path, message, input: undefined });
  const list = (values: Iterable<string>): string => [...new Set(values)].join(', ');
  const byName = target.backend === undefined ? backends : backends.filter((b) => b.name === target.backend);
  if (byName.length === 0) return [issue(['target', 'backend'], `no backend named "${target.backend}" (the fleet has ${list(backends.map((b) => b.name))})`)];
  const inRegion = target.region === undefined ? byName : byName.filter((b) => b.region.toLowerCase() === target.region!.toLowerCase());
  if (inRegion.length === 0) {
    return target.backend === undefined
      ? [issue(['target', 'region'], `no backend in region "${target.region}" (the fleet's regions: ${list(backends.map((b) => b.region))})`)]
      : [issue(['target', 'region'], `backend "${target.backend}" is in ${byName[0]!.region}, not in "${target.region}"`)];
  }
  if (target.deployment !== undefined && !inRegion.some((b) => b.deployments.includes(target.deployment!))) {
    return [issue(['target', 'deployment'], `no targeted backend hosts a deployment named "${target.deployment}" (they host ${list(inRegion.flatMap((b) => b.deployments))})`)];
  }
  return [];
}

/**
 * Why a fault request would be refused by a fleet of these backends (the same rules inject()
 * applies), as field paths and messages; empty when it would be accepted. For checking a
 * timeline before anything starts, so that a typo is not found only when the step fires.
 */
export function faultRequestProblems(request: unknown, backends: readonly FaultableBackend[]): { path: string; message: string }[] {
  const parsed = faultRequestSchema.safeParse(request);
  const issues = parsed.success ? targetProblems(parsed.data.target, backends) : parsed.error.issues;
  return issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

/** The set of active fault rules. Every change is reported, so it can be timestamped in the ledger. */
export class FaultRules {
  #rules = new Map<string, FaultRule>();
  readonly #clock: Clock;
  readonly #onChange: (change: FaultChange) => void;

  readonly #backends: readonly FaultableBackend[] | undefined;

  /** With `backends`, a rule must aim at one of them (see targetProblems); without, any target is taken. */
  constructor(clock: Clock, onChange: (change: FaultChange) => void, backends?: readonly FaultableBackend[]) {
    this.#clock = clock;
    this.#onChange = onChange;
    this.#backends = backends;
  }

  /** Validates and adds a rule; throws a ZodError naming the bad field. */
  inject(request: unknown): FaultRule {
    const parsed = faultRequestSchema.parse(request);
    if (this.#backends !== undefined) {
      const problems = targetProblems(parsed.target, this.#backends);
      if (problems.length > 0) throw new ZodError(problems);
    }
    const now = this.#clock.now();
    const rule: FaultRule = { ...parsed, id: randomUUID(), createdAt: now, expiresAt: parsed.durationMs ? now + parsed.durationMs : null };
    this.#rules.set(rule.id, rule);
    this.#onChange({ action: 'inject', rule });
    return rule;
  }

  clear(id: string): boolean {
    const rule = this.#rules.get(id);
    if (!rule) return false;
    this.#rules.delete(id);
    this.#onChange({ action: 'clear', rule });
    return true;
  }

  /** Clears every rule, or only those aimed at a backend or region. Returns how many. */
  clearAll(filter: { backend?: string; region?: string } = {}): number {
    let cleared = 0;
    for (const rule of [...this.#rules.values()]) {
      if (filter.backend !== undefined && rule.target.backend !== filter.backend) continue;
      if (filter.region !== undefined && rule.target.region !== filter.region) continue;
      this.clear(rule.id);
      cleared++;
    }
    return cleared;
  }

  list(): FaultRule[] {
    this.expire();
    return [...this.#rules.values()];
  }

  /** Removes rules whose duration has passed, reporting each. */
  expire(): void {
    const now = this.#clock.now();
    for (const rule of [...this.#rules.values()]) {
      if (rule.expiresAt !== null && rule.expiresAt <= now) {
        this.#rules.delete(rule.id);
        this.#onChange({ action: 'expire', rule });
      }
    }
  }

  /**
   * The rules that fire for one request: each matching rule rolls its own rate. `refuse`
   * is applied to listeners, not requests, so it never fires here.
   */
  firing(target: FaultTarget, rng: Rng): FaultRule[] {
    if (this.#rules.size === 0) return [];
    this.expire();
    const fired: FaultRule[] = [];
    for (const rule of this.#rules.values()) {
      if (rule.kind === 'refuse' || !matches(rule, target)) continue;
      if (rule.rate >= 1 || rng.next() < rule.rate) fired.push(rule);
    }
    return fired;
  }

  /** Backends whose listener should be down now. */
  refusedBackends(backends: readonly { name: string; region: string }[]): Set<string> {
    this.expire();
    const refused = new Set<string>();
    for (const rule of this.#rules.values()) {
      if (rule.kind !== 'refuse') continue;
      for (const backend of backends) {
        if (matches(rule, { backend: backend.name, region: backend.region, deployment: null })) refused.add(backend.name);
      }
    }
    return refused;
  }
}

function matches(rule: FaultRule, target: FaultTarget): boolean {
  const t = rule.target;
  if (t.backend !== undefined && t.backend !== target.backend) return false;
  if (t.region !== undefined && t.region.toLowerCase() !== target.region.toLowerCase()) return false;
  if (t.deployment !== undefined && t.deployment !== target.deployment) return false;
  return true;
}
