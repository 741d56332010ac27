/**
 * Whether each PAYG request of the pool's classes (medium, or no priority) was justified: the
 * documented pool sends to a lower priority group "only when all backends in higher priority
 * groups are unavailable because circuit breaker rules are tripped" [research §1], so a PAYG
 * request is justified when every PTU backend of its region was saturated or tripped at its
 * start (backend-pressure.ts). A region with no PTU backend justifies everything. Shared by
 * the spillover and priority verifiers.
 */
import type { RequestRecord } from '../contracts/ledger-record.ts';
import type { RunEvidence } from '../evidence/evidence-types.ts';
import { backendPressure, type PressureOptions } from './backend-pressure.ts';
import { backendsOf, ledgerPriority, type EvidenceIndex } from './evidence-index.ts';
import type { Expectations } from './expectations.ts';
import { contains } from './intervals.ts';
import { between, duration } from './time-format.ts';
import { listExamples } from './verdict-helpers.ts';

export interface PaygJudgement {
  /** Every ledger request of the classes judged. */
  all: RequestRecord[];
  /** Those that reached a PAYG backend. */
  payg: RequestRecord[];
  /** PAYG requests while some PTU backend of the region showed no pressure, with those PTU backends. */
  unjustified: { record: RequestRecord; freePtu: string[] }[];
}

export function judgePaygUse(evidence: RunEvidence, index: EvidenceIndex, expectations: Expectations, classes: readonly string[], options: PressureOptions = {}): PaygJudgement {
  const all = index.requests.filter((r) => classes.includes(ledgerPriority(index, r, expectations)));
  const payg = all.filter((r) => r.kind === 'payg');
  const unjustified: PaygJudgement['unjustified'] = [];
  for (const record of payg) {
    const ptus = backendsOf(index, expectations, record.region, 'ptu');
    const free = ptus.filter((ptu) => !contains(backendPressure(evidence, index, expectations, ptu, options).windows, record.start));
    if (free.length > 0) unjustified.push({ record, freePtu: free });
  }
  return { all, payg, unjustified };
}

/** The allowance of unjustified PAYG requests: a share of the PAYG requests, rounded down. */
export function paygAllowance(judgement: PaygJudgement, share: number): number {
  return Math.floor(judgement.payg.length * share);
}

/**
 * "PAYG aoai-eastus-payg received 212 medium/none-priority requests while aoai-eastus-ptu1 and
 * aoai-eastus-ptu2 showed no pressure … between …; see fleet-ledger.jsonl seq …", one sentence
 * per PAYG backend.
 */
export function describeUnjustified(judgement: PaygJudgement, evidence: RunEvidence, index: EvidenceIndex, classLabel: string, lookbackMs: number): { text: string; examples: number[]; timeRange: [number, number] | undefined } {
  const byBackend = new Map<string, PaygJudgement['unjustified']>();
  for (const u of judgement.unjustified) {
    const list = byBackend.get(u.record.backend);
    if (list) list.push(u);
    else byBackend.set(u.record.backend, [u]);
  }
  const sentences: string[] = [];
  const examples: number[] = [];
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const [backend, list] of byBackend) {
    const free = [...new Set(list.flatMap((u) => u.freePtu))].sort();
    const firstAttempts = list.filter((u) => {
      const attempts = u.record.correlationId ? index.attempts.get(u.record.correlationId) : undefined;
      return !attempts || attempts[0] === u.record;
    }).length;
    const start = list[0]!.record.start;
    const end = list[list.length - 1]!.record.start;
    from = Math.min(from, start);
    to = Math.max(to, end);
    const seqs = list.map((u) => u.record.seq);
    examples.push(...seqs.slice(0, 3));
    sentences.push(
      `PAYG ${backend} received ${list.length} ${classLabel} request(s) while ${free.join(' and ')} ${free.length > 1 ? 'were' : 'was'} below capacity ` +
        `(no 429/5xx in the ledger within ${duration(lookbackMs)} before and no breaker open) ${between(start, end, evidence.window.start)}, ` +
        `${firstAttempts} of them first attempts rather than retries: the pool's priorities may be equal, or the routing policy may send ${classLabel} traffic to PAYG directly; ` +
        `see ${evidence.files.ledger} ${listExamples(seqs)}`,
    );
  }
  return { text: sentences.join('. '), examples, timeRange: Number.isFinite(from) ? [from, to] : undefined };
}
