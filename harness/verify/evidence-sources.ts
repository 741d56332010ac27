/**
 * What a run's evidence holds of each kind (RunEvidence.sources), as the verifiers' needs are
 * judged against it: the status of a kind, how many rows it brought, and the same evidence
 * with some kinds withheld (their rows dropped, their status absent), which is what a verifier
 * sees of an optional kind the run did not collect whole.
 */
import { evidenceKinds } from '../contracts/evidence.ts';
import type { EvidenceKind, EvidenceSource, RunEvidence } from '../evidence/evidence-types.ts';

/** The run's word on one kind; a kind the list does not name counts as absent. */
export function sourceOf(evidence: RunEvidence, kind: EvidenceKind): EvidenceSource {
  return evidence.sources.find((s) => s.kind === kind) ?? { kind, status: 'absent', note: `the run's evidence does not say whether ${kind} was collected` };
}

/** Rows of one kind (the ledger's requests and fault records together). */
export function rowCount(evidence: RunEvidence, kind: EvidenceKind): number {
  switch (kind) {
    case 'ledger':
      return evidence.ledger.length + evidence.faultChanges.length;
    case 'client':
      return evidence.client.length;
    case 'gatewayLogs':
      return evidence.gatewayLogs.length;
    case 'llmLogs':
      return evidence.llmLogs.length;
    case 'breakerEvents':
      return evidence.breakerEvents.length;
    case 'frontDoorEvents':
      return evidence.frontDoorEvents.length;
  }
}

/** Whether the gateway's own log rows are part of this evidence (collected whole): without them, see instanceOf. */
export function hasGatewayLogs(evidence: RunEvidence): boolean {
  return sourceOf(evidence, 'gatewayLogs').status === 'collected';
}

/**
 * The rows of a withheld kind: one frozen empty array for every view, so that views differing
 * only in what they withhold still share the lookups keyed by their arrays (evidence-index.ts).
 */
const NONE = Object.freeze([]) as unknown as never[];

/**
 * The evidence with `kinds` withheld: their rows dropped and their status `absent` with `note`
 * (the other kinds are the same arrays, not copies). A new object, so the lookups cached per
 * evidence object (backend-pressure.ts) are built afresh for it.
 */
export function withheld(evidence: RunEvidence, kinds: readonly EvidenceKind[], note: (source: EvidenceSource) => string): RunEvidence {
  if (kinds.length === 0) return evidence;
  const drop = new Set(kinds);
  return {
    ...evidence,
    ...(drop.has('client') ? { client: NONE } : {}),
    ...(drop.has('ledger') ? { ledger: NONE, faultChanges: NONE } : {}),
    ...(drop.has('gatewayLogs') ? { gatewayLogs: NONE } : {}),
    ...(drop.has('llmLogs') ? { llmLogs: NONE } : {}),
    ...(drop.has('breakerEvents') ? { breakerEvents: NONE } : {}),
    ...(drop.has('frontDoorEvents') ? { frontDoorEvents: NONE } : {}),
    sources: evidenceKinds.map((kind) => {
      const source = sourceOf(evidence, kind);
      return drop.has(kind) ? { kind, status: 'absent' as const, note: note(source) } : source;
    }),
  };
}
