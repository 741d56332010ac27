/**
 * The counter behind `llm-token-limit` / `azure-openai-token-limit` [DOC LTL, AOTL]: per
 * counter key, a tokens-per-minute rate and/or a token quota over a fixed calendar window.
 * TPM exceeded -> 429, quota exceeded -> 403, both with Retry-After in seconds.
 *
 * Flow (one object models one gateway's counters; counts are per gateway [INC-GW]):
 * 1. `admit(key, estimatedPromptTokens)` in inbound. With `estimate-prompt-tokens=true` the
 *    estimated prompt tokens are checked and charged now. With `false` nothing is charged and
 *    a request is only rejected once earlier usage has used the limit up, which is how "a
 *    prompt over the limit can pass once and later requests are then blocked until reset"
 *    [DOC LTL]. Streaming requests always estimate the prompt [DOC LTL]: pass `streaming`.
 * 2. After the response, `settle(key, admission, usage)` charges what was not charged yet:
 *    completion tokens when the prompt was charged at admission, else prompt + completion.
 *    (`record(key, tokens)` charges a raw amount.)
 *
 * Choices where the docs are silent:
 * - TPM window: a sliding 60 s window over 1 s buckets (classic tiers use a sliding window
 *   [DOC THR]; v2's token bucket is not modelled here). Retry-After is the time until enough
 *   buckets leave the window for this request to fit, rounded up, at least 1 s.
 * - Admission rule: rejected when the used amount has reached the limit, or when the tokens
 *   charged now would take it over. So `remainingTokens` is exact: 0 means the next request is
 *   rejected, and a request whose estimate is at most `remainingTokens` is admitted.
 * - A prompt estimated above the whole TPM limit can never be admitted; its Retry-After is 60.
 * - The estimate is not corrected to the actual prompt usage afterwards (the docs do not say
 *   the counter is corrected; only the tokens-consumed variable is updated).
 * - Quota is checked before TPM, so a request over both gets the 403 (the longer block).
 * - Quota windows are UTC calendar units: Hourly, Daily, Weekly (ISO weeks: Monday 00:00
 *   UTC), Monthly (1st, 00:00 UTC), Yearly (1 January). Tokens settled after a window boundary
 *   count in the new window.
 */
import type { Clock } from '../../shared/clock.ts';
import { SlidingWindowCounter } from './sliding-window-counter.ts';

export type TokenQuotaPeriod = 'Hourly' | 'Daily' | 'Weekly' | 'Monthly' | 'Yearly';

export const TOKEN_QUOTA_PERIODS: readonly TokenQuotaPeriod[] = ['Hourly', 'Daily', 'Weekly', 'Monthly', 'Yearly'];

export interface TokenLimitOptions {
  tokensPerMinute?: number;
  tokenQuota?: number;
  tokenQuotaPeriod?: TokenQuotaPeriod;
  /** Required by the policy [DOC LTL]. */
  estimatePromptTokens: boolean;
}

export interface TokenAdmitted {
  ok: true;
  /** Prompt tokens charged at admission (0 when not estimating). */
  chargedPromptTokens: number;
  /** Whether the prompt was charged now, so settle() charges only completion tokens. */
  promptCharged: boolean;
  /** Left under tokens-per-minute after this admission (remaining-tokens header). */
  remainingTokens?: number;
  /** Left under the quota after this admission (remaining-quota-tokens header). */
  remainingQuotaTokens?: number;
}

export interface TokenRejected {
  ok: false;
  rejected: 'tokens-per-minute' | 'quota';
  /** 429 for tokens-per-minute, 403 for quota [DOC LTL]. */
  status: 429 | 403;
  retryAfterSeconds: number;
}

export type TokenAdmission = TokenAdmitted | TokenRejected;

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

const TPM_WINDOW_MS = 60_000;
const TPM_BUCKET_MS = 1_000;

/** The fixed quota window containing `nowMs`, truncated in UTC to the period's unit. */
export function quotaPeriodWindow(period: TokenQuotaPeriod, nowMs: number): { start: number; end: number } {
  const d = new Date(nowMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (period) {
    case 'Hourly': {
      const start = Date.UTC(y, m, day, d.getUTCHours());
      return { start, end: start + 3_600_000 };
    }
    case 'Daily': {
      const start = Date.UTC(y, m, day);
      return { start, end: start + 86_400_000 };
    }
    case 'Weekly': {
      // ISO week: Monday is the first day. getUTCDay() is 0 for Sunday, so shift by 6 mod 7.
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      const start = Date.UTC(y, m, day - sinceMonday);
      return { start, end: start + 7 * 86_400_000 };
    }
    case 'Monthly':
      return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
    case 'Yearly':
      return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) };
  }
}

function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function assertTokens(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
}

export class TokenLimit {
  readonly tokensPerMinute: number | undefined;
  readonly tokenQuota: number | undefined;
  readonly tokenQuotaPeriod: TokenQuotaPeriod | undefined;
  readonly estimatePromptTokens: boolean;
  readonly #clock: Clock;
  readonly #tpm: SlidingWindowCounter;
  readonly #quota = new Map<string, { windowStart: number; used: number }>();
  #opsSinceSweep = 0;

  constructor(options: TokenLimitOptions, clock: Clock) {
    const { tokensPerMinute, tokenQuota, tokenQuotaPeriod } = options;
    if (tokensPerMinute === undefined && tokenQuota === undefined) {
      throw new RangeError('token limit: tokens-per-minute or token-quota (or both) must be set');
    }
    if (tokensPerMinute !== undefined) assertTokens('token limit: tokens-per-minute', tokensPerMinute);
    if (tokenQuota !== undefined) {
      assertTokens('token limit: token-quota', tokenQuota);
      if (tokenQuotaPeriod === undefined) throw new RangeError('token limit: token-quota needs token-quota-period');
    }
    if (tokenQuotaPeriod !== undefined && !TOKEN_QUOTA_PERIODS.includes(tokenQuotaPeriod)) {
      throw new RangeError(`token limit: token-quota-period must be one of ${TOKEN_QUOTA_PERIODS.join(', ')}, got "${String(tokenQuotaPeriod)}"`);
    }
    if (typeof options.estimatePromptTokens !== 'boolean') {
      throw new RangeError('token limit: estimate-prompt-tokens is required (true or false)');
    }
    this.tokensPerMinute = tokensPerMinute;
    this.tokenQuota = tokenQuota;
    this.tokenQuotaPeriod = tokenQuotaPeriod;
    this.estimatePromptTokens = options.estimatePromptTokens;
    this.#clock = clock;
    this.#tpm = new SlidingWindowCounter({ windowMs: TPM_WINDOW_MS, bucketMs: TPM_BUCKET_MS }, clock);
  }

  /**
   * Inbound check. `estimatedPromptTokens` is charged when estimating (or when `streaming`,
   * where the prompt is always estimated [DOC LTL]); otherwise it is ignored.
   */
  admit(key: string, estimatedPromptTokens: number, options: { streaming?: boolean } = {}): TokenAdmission {
    assertTokens('estimated prompt tokens', estimatedPromptTokens);
    const promptCharged = this.estimatePromptTokens || options.streaming === true;
    const charge = promptCharged ? estimatedPromptTokens : 0;

    if (this.tokenQuota !== undefined && this.tokenQuotaPeriod !== undefined) {
      const used = this.#quotaUsed(key);
      if (used >= this.tokenQuota || used + charge > this.tokenQuota) {
        // The quota replenishes when its fixed window ends [DOC LTL].
        const { end } = quotaPeriodWindow(this.tokenQuotaPeriod, this.#clock.now());
        return { ok: false, rejected: 'quota', status: 403, retryAfterSeconds: secondsUntil(end - this.#clock.now()) };
      }
    }
    if (this.tokensPerMinute !== undefined) {
      const used = this.#tpm.total(key);
      if (used >= this.tokensPerMinute || used + charge > this.tokensPerMinute) {
        // Wait until the window holds at most limit - charge (and strictly less than the limit).
        const target = this.tokensPerMinute - Math.max(charge, 1);
        const waitMs = target < 0 ? TPM_WINDOW_MS : this.#tpm.msUntilTotalAtMost(key, target);
        return { ok: false, rejected: 'tokens-per-minute', status: 429, retryAfterSeconds: secondsUntil(waitMs) };
      }
    }

    if (charge > 0) this.record(key, charge);
    const admitted: TokenAdmitted = { ok: true, chargedPromptTokens: charge, promptCharged };
    const remaining = this.remaining(key);
    if (remaining.remainingTokens !== undefined) admitted.remainingTokens = remaining.remainingTokens;
    if (remaining.remainingQuotaTokens !== undefined) admitted.remainingQuotaTokens = remaining.remainingQuotaTokens;
    return admitted;
  }

  /**
   * After the response: charges completion tokens if the prompt was charged at admission,
   * else prompt + completion from `usage`. Returns the tokens charged.
   */
  settle(key: string, admission: TokenAdmitted, usage: TokenUsage): number {
    assertTokens('prompt tokens', usage.promptTokens);
    assertTokens('completion tokens', usage.completionTokens);
    const tokens = admission.promptCharged ? usage.completionTokens : usage.promptTokens + usage.completionTokens;
    this.record(key, tokens);
    return tokens;
  }

  /** Charges `tokens` now against both the TPM window and the current quota window. */
  record(key: string, tokens: number): void {
    assertTokens('tokens', tokens);
    if (tokens === 0) return;
    if (this.tokensPerMinute !== undefined) this.#tpm.add(key, tokens);
    if (this.tokenQuota !== undefined && this.tokenQuotaPeriod !== undefined) {
      const { start } = quotaPeriodWindow(this.tokenQuotaPeriod, this.#clock.now());
      const state = this.#quota.get(key);
      if (state && state.windowStart === start) state.used += tokens;
      else this.#quota.set(key, { windowStart: start, used: tokens });
      this.#maybeSweep(start);
    }
  }

  /** What the remaining-tokens and remaining-quota-tokens headers would say now. */
  remaining(key: string): { remainingTokens?: number; remainingQuotaTokens?: number } {
    const result: { remainingTokens?: number; remainingQuotaTokens?: number } = {};
    if (this.tokensPerMinute !== undefined) result.remainingTokens = Math.max(0, this.tokensPerMinute - this.#tpm.total(key));
    if (this.tokenQuota !== undefined) result.remainingQuotaTokens = Math.max(0, this.tokenQuota - this.#quotaUsed(key));
    return result;
  }

  /** Keys held in memory by each counter (idle keys and past quota windows are dropped). */
  trackedKeys(): { tokensPerMinute: number; quota: number } {
    return { tokensPerMinute: this.#tpm.trackedKeys(), quota: this.#quota.size };
  }

  #quotaUsed(key: string): number {
    if (this.tokenQuotaPeriod === undefined) return 0;
    const state = this.#quota.get(key);
    if (!state) return 0;
    if (state.windowStart !== quotaPeriodWindow(this.tokenQuotaPeriod, this.#clock.now()).start) {
      this.#quota.delete(key);
      return 0;
    }
    return state.used;
  }

  #maybeSweep(currentStart: number): void {
    if (++this.#opsSinceSweep < 1024) return;
    this.#opsSinceSweep = 0;
    for (const [key, state] of this.#quota) if (state.windowStart !== currentStart) this.#quota.delete(key);
  }
}
