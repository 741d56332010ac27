/**
 * The verifiers by name (the names scenario plans list under "verifiers"): pure functions from
 * a run's evidence and the gateway's expectations to verdicts.
 */
import type { RunEvidence } from '../evidence/evidence-types.ts';
import type { VerifierName } from '../run/scenario-plan.ts';
import { verifyCircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.verifier.ts';
import type { Expectations } from './expectations.ts';
import { verifyFailover, type FailoverOptions } from './failover.verifier.ts';
import { verifyPriority, type PriorityOptions } from './priority.verifier.ts';
import { verifySpillover, type SpilloverOptions } from './spillover.verifier.ts';
import { verifyTokenLimit, type TokenLimitOptions } from './token-limit.verifier.ts';
import type { Verdict } from './verdict.ts';

export interface VerifierOptions {
  spillover?: SpilloverOptions;
  'circuit-breaker'?: CircuitBreakerOptions;
  priority?: PriorityOptions;
  failover?: FailoverOptions;
  'token-limit'?: TokenLimitOptions;
}

type Verifier = (evidence: RunEvidence, expectations: Expectations, options: VerifierOptions) => Verdict[];

export const verifiers: Record<VerifierName, Verifier> = {
  spillover: (e, x, o) => verifySpillover(e, x, o.spillover),
  'circuit-breaker': (e, x, o) => verifyCircuitBreaker(e, x, o['circuit-breaker']),
  priority: (e, x, o) => verifyPriority(e, x, o.priority),
  failover: (e, x, o) => verifyFailover(e, x, o.failover, x.frontDoor?.origins),
  'token-limit': (e, x, o) => verifyTokenLimit(e, x, o['token-limit']),
};

/**
 * Runs the named verifiers in order and concatenates their verdicts. An unknown name is a
 * programming error (plans are validated against the same names) and throws. A verifier that
 * throws on unexpected evidence yields one inconclusive verdict naming the error, so the
 * others still report: a crash is not evidence against the gateway.
 */
export function runVerifiers(names: readonly VerifierName[], evidence: RunEvidence, expectations: Expectations, options: VerifierOptions = {}): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const name of names) {
    const verifier = (verifiers as Record<string, Verifier | undefined>)[name];
    if (!verifier) throw new RangeError(`unknown verifier "${name}" (known: ${Object.keys(verifiers).join(', ')})`);
    try {
      verdicts.push(...verifier(evidence, expectations, options));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      verdicts.push({
        check: name,
        status: 'inconclusive',
        expected: `the ${name} verifier judges the run`,
        measured: `the verifier threw: ${message}`,
        tolerance: 'none',
        explanation: `The ${name} verifier could not process this run's evidence (${message}); this says nothing about the gateway. Report it with the run folder so the verifier can be fixed.`,
        evidence: [],
      });
    }
  }
  return verdicts;
}
