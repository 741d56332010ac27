/**
 * The prompt tokens a token limit keeps for requests that passed it and then failed.
 *
 * With estimate-prompt-tokens=true, llm-token-limit charges a request's estimated prompt when it
 * admits it in inbound; the answer's usage later settles the charge. A request that passed and
 * then failed (a backend 429 or 5xx passed through, or no backend left to take it: the gateway's
 * pool-exhausted 503) brings no usage, so the estimate charged at admission stands: APIM
 * documents no refund (research: apim-semantics.md §3), and the
 * emulator keeps it (mocks/apim/limits/token-limit.ts). Such requests leave no LLM log row and
 * no 2xx ledger record, so a count of admitted tokens misses them: a refusal that came once
 * they had filled the rest of the counter looks early, and the remaining-tokens header rising
 * when they leave the window looks like a fault. What is counted here is only what the
 * client records show happened after inbound; everything else (a token-budget or call-rate
 * refusal, the front door's own errors, no answer at all) may never have been charged.
 */
import type { ClientRecord } from '../evidence/evidence-types.ts';
import { clientStart, isTokenBudgetRefusal } from './evidence-index.ts';

/** A charge the counter kept: when the request started, and the tokens counted for it. */
export interface KeptCharge {
  at: number;
  tokens: number;
}

/**
 * Whether a client request passed the gateway's inbound token limit and then failed: not 2xx,
 * and answered by a backend (passed through) or by the gateway for want of a backend
 * (pool-exhausted). Never a refusal by a limit (token-limit, token-quota, rate-limit, quota),
 * a front door error, or a request that got no answer (status 0: it may never have reached
 * the gateway).
 */
export function failedAfterAdmission(record: ClientRecord): boolean {
  if (record.status === 0 || (record.status >= 200 && record.status < 300)) return false;
  if (isTokenBudgetRefusal(record) || record.gatewayReason === 'rate-limit' || record.gatewayReason === 'quota') return false;
  return record.errorOrigin === 'backend' || (record.errorOrigin === 'gateway' && record.gatewayReason === 'pool-exhausted');
}

/**
 * The charges kept for `failed` (requests that failed after admission), each at `promptEstimate`
 * tokens (the consumer's median admitted prompt: its plan sends alike requests) and placed at the
 * request's start; none when there is no estimate (nothing of the consumer was admitted with a
 * prompt count).
 */
export function keptCharges(failed: readonly ClientRecord[], promptEstimate: number | undefined): KeptCharge[] {
  if (promptEstimate === undefined) return [];
  return failed.map((c) => ({ at: clientStart(c), tokens: promptEstimate })).sort((a, b) => a.at - b.at);
}
