/**
 * The verifiers by name (the names scenario plans list under "verifiers"): pure functions from
 * a run's evidence and the gateway's expectations to verdicts, each with the evidence it needs.
 *
 * A verifier declares the kinds of evidence it cannot judge without (`needs`) and those it
 * uses when the run has them (`optional`: to refine, as which gateway instance sent a request,
 * or to cross-check, as breaker events). runVerifiers gives it only those kinds: a need that is
 * absent or incomplete answers one inconclusive verdict naming it, without calling the
 * verifier; an optional kind the run did not collect whole is withheld (the verifier decides
 * without it, by the fallback docs/verifiers.md describes); a kind it does not declare is
 * withheld too, so that a verdict's `sources` (the kinds it was decided from) is the truth.
 */
import type { EvidenceKind, EvidenceSource, RunEvidence } from '../evidence/evidence-types.ts';
import { evidenceKinds } from '../contracts/evidence.ts';
import type { VerifierName } from '../run/scenario-plan.ts';
import { verifyCircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.verifier.ts';
import { rowCount, sourceOf, withheld } from './evidence-sources.ts';
import type { Expectations } from './expectations.ts';
import { verifyFailover, type FailoverOptions } from './failover.verifier.ts';
import { verifyPriority, type PriorityOptions } from './priority.verifier.ts';
import { verifySpillover, type SpilloverOptions } from './spillover.verifier.ts';
import { verifyTokenLimit, type TokenLimitOptions } from './token-limit.verifier.ts';
import type { Verdict } from './verdict.ts';
import { ref } from './verdict-helpers.ts';

export interface VerifierOptions {
  spillover?: SpilloverOptions;
  'circuit-breaker'?: CircuitBreakerOptions;
  priority?: PriorityOptions;
  failover?: FailoverOptions;
  'token-limit'?: TokenLimitOptions;
}

/** The evidence a verifier judges from. */
export interface EvidenceNeeds {
  /** Kinds it cannot judge without: one of them absent or incomplete, it is not run. */
  needs: readonly EvidenceKind[];
  /** Kinds it uses when the run collected them whole, and decides without otherwise. */
  optional: readonly EvidenceKind[];
}

type Verifier = (evidence: RunEvidence, expectations: Expectations, options: VerifierOptions) => Verdict[];

interface RegisteredVerifier extends EvidenceNeeds {
  judge: Verifier;
}

/**
 * Each verifier with its evidence, as read from its code (docs/verifiers.md, "Evidence needs",
 * says why each kind is a need or optional).
 */
export const verifiers: Record<VerifierName, RegisteredVerifier> = {
  // PAYG use and the PTU share from the ledger, refusals from the client records; gateway rows
  // only explain refusals (the attempts each made) and supply a subscription the backend did
  // not receive; breaker events only widen the windows of pressure.
  spillover: { needs: ['ledger', 'client'], optional: ['gatewayLogs', 'breakerEvents'], judge: (e, x, o) => verifySpillover(e, x, o.spillover) },
  // Trips replayed over the ledger (requests and fault records); gateway rows tell the gateway
  // instances and the breaker lanes apart, breaker events are a cross-check.
  'circuit-breaker': { needs: ['ledger'], optional: ['gatewayLogs', 'breakerEvents'], judge: (e, x, o) => verifyCircuitBreaker(e, x, o['circuit-breaker']) },
  // Where each class went from the ledger, what each class got from the client records.
  priority: { needs: ['ledger', 'client'], optional: ['gatewayLogs', 'breakerEvents'], judge: (e, x, o) => verifyPriority(e, x, o.priority) },
  // What clients saw and the front door's health and routing; the gateway rows and the ledger
  // show traffic still sent to a region that is down.
  failover: { needs: ['client', 'frontDoorEvents'], optional: ['gatewayLogs', 'ledger'], judge: (e, x, o) => verifyFailover(e, x, o.failover, x.frontDoor?.origins) },
  // Refusals and headers from the client records; admitted tokens from the LLM log joined to the
  // gateway log, else from the ledger (the verifier says when they cannot be told per consumer).
  'token-limit': { needs: ['client'], optional: ['llmLogs', 'gatewayLogs', 'ledger'], judge: (e, x, o) => verifyTokenLimit(e, x, o['token-limit']) },
};

/** A kind in words, for verdicts. */
const kindInWords: Record<EvidenceKind, string> = {
  ledger: 'the fleet ledger',
  client: "the client records (k6's samples)",
  gatewayLogs: "the gateway's log rows (ApiManagementGatewayLogs)",
  llmLogs: "the gateway's LLM log rows (ApiManagementGatewayLlmLog)",
  breakerEvents: 'the circuit breaker events',
  frontDoorEvents: "the front door's events",
};

function describeSource(source: EvidenceSource): string {
  return `${source.kind} ${source.status}${source.note ? ` (${source.note})` : ''}`;
}

function listOf(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** The one verdict of a verifier whose needs this run does not meet: it was not run. */
function unmetNeeds(name: VerifierName, declared: EvidenceNeeds, evidence: RunEvidence, unmet: readonly EvidenceSource[]): Verdict {
  const optional = declared.optional.length > 0 ? ` (and uses ${declared.optional.join(', ')} when the run has them)` : '';
  return {
    check: name,
    status: 'inconclusive',
    expected: `the evidence the ${name} verifier needs: ${declared.needs.join(', ')}${optional}`,
    measured: declared.needs.map((kind) => describeSource(sourceOf(evidence, kind))).join('; '),
    tolerance: 'none',
    explanation:
      `The ${name} verifier decides from ${listOf(declared.needs.map((kind) => kindInWords[kind]))}, and this run's ${listOf(unmet.map((s) => `${s.kind} is ${s.status}${s.note ? ` (${s.note})` : ''}`))}, ` +
      `so it was not run: this says nothing about the gateway. ${unmet.some((s) => s.status === 'incomplete') ? 'Rerun once the missing records can be collected whole.' : 'Judge this with a target that brings that evidence, or leave the verifier out of the plan.'}`,
    evidence: unmet.map((s) => ref(evidence.files[s.kind], `${s.kind} ${s.status}${s.note ? `: ${s.note}` : ''}`)),
    sources: [],
  };
}

/**
 * Runs the named verifiers in order and concatenates their verdicts, each verdict listing in
 * `sources` the kinds of evidence it was decided from: the verifier's needs, and those of its
 * optional kinds the run collected whole and that held rows. A verifier whose need is absent or
 * incomplete gives one inconclusive verdict naming what was missing and why (the source's
 * note), and is not called. An unknown name is a programming error (plans are validated
 * against the same names) and throws. A verifier that throws on unexpected evidence yields one
 * inconclusive verdict naming the error, so the others still report: a crash is not evidence
 * against the gateway.
 */
/**
 * Judges the named verifiers over the evidence. A verifier whose evidence is missing is
 * inconclusive, naming what is missing; with no expectations (null: a remote gateway judged
 * without --expectations), one whose evidence is there is inconclusive too, saying so.
 */
export function runVerifiers(names: readonly VerifierName[], evidence: RunEvidence, expectations: Expectations | null, options: VerifierOptions = {}): Verdict[] {
  const verdicts: Verdict[] = [];
  // One view per set of kinds withheld, so verifiers that read alike share their lookups
  // (evidence-index.ts and backend-pressure.ts cache per evidence object).
  const views = new Map<string, RunEvidence>();
  for (const name of names) {
    const verifier = (verifiers as Record<string, RegisteredVerifier | undefined>)[name];
    if (!verifier) throw new RangeError(`unknown verifier "${name}" (known: ${Object.keys(verifiers).join(', ')})`);
    const unmet = verifier.needs.map((kind) => sourceOf(evidence, kind)).filter((s) => s.status !== 'collected');
    if (unmet.length > 0) {
      verdicts.push(unmetNeeds(name, verifier, evidence, unmet));
      continue;
    }
    if (expectations === null) {
      verdicts.push(withoutExpectations(name));
      continue;
    }
    const usable = new Set<EvidenceKind>([...verifier.needs, ...verifier.optional.filter((kind) => sourceOf(evidence, kind).status === 'collected')]);
    const withhold = evidenceKinds.filter((kind) => !usable.has(kind));
    const key = withhold.join(',');
    let view = views.get(key);
    if (!view) {
      view = withheld(evidence, withhold, (source) =>
        source.status === 'collected' ? `not given to this verifier, which does not read ${source.kind}` : `withheld from the verifiers: ${source.status}${source.note ? ` (${source.note})` : ''}`,
      );
      views.set(key, view);
    }
    const sources = [...verifier.needs, ...verifier.optional.filter((kind) => usable.has(kind) && rowCount(evidence, kind) > 0)];
    try {
      for (const verdict of verifier.judge(view, expectations, options)) verdicts.push({ ...verdict, sources });
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
        sources: [],
      });
    }
  }
  return verdicts;
}

/** A verifier that could judge the evidence, but was given nothing to hold the gateway to. */
function withoutExpectations(name: string): Verdict {
  return {
    check: name,
    status: 'inconclusive',
    expected: `the ${name} verifier judges the run against the gateway's expectations`,
    measured: 'no expectations were given',
    tolerance: 'none',
    explanation: `The ${name} verifier judges a gateway against what it is supposed to do, and Spillway cannot read a remote gateway's configuration: give --expectations <file> (\`spillway expectations --config <apiops-dir>\` writes one). This says nothing about the gateway.`,
    evidence: [],
    sources: [],
  };
}
