import type { Clock } from '../shared/clock.ts';

/**
 * Standard (pay-as-you-go) quota of one deployment, as quota.md describes it:
 * - a tokens-per-minute budget, charged with the request's *estimated* token count when it
 *   arrives, into "a running token count of all requests that is reset each minute";
 * - a request budget of "6 RPM per 1000 TPM", enforced "over a small period of time,
 *   typically 1 or 10 seconds" (a 600-RPM deployment throttles above 10 requests in 1 s).
 *
 * Windows are fixed and aligned to the epoch (minutes at multiples of 60 000 ms, request
 * windows at multiples of their length), so every replica of the mock agrees on them.
 */
export interface PaygLimiterOptions {
  tpm: number;
  /** Defaults to 6 per 1000 TPM, at least 1. */
  rpm?: number;
  /** Length of the request sub-window; defaults to 10 s. */
  requestWindowSeconds?: number;
}

/** The figures the x-ratelimit-* headers report. Request figures are per minute. */
export interface PaygQuotaFigures {
  limitTokens: number;
  remainingTokens: number;
  limitRequests: number;
  remainingRequests: number;
}

export type PaygAdmission =
  | ({ admitted: true } & PaygQuotaFigures)
  | ({
      admitted: false;
      reason: 'tpm' | 'rpm';
      /** Whole seconds until the window that blocked this request resets, at least 1. */
      retryAfterSeconds: number;
      resetTokensSeconds: number;
      resetRequestsSeconds: number;
    } & PaygQuotaFigures);

const MINUTE_MS = 60_000;
const DEFAULT_REQUEST_WINDOW_SECONDS = 10;

/** "6 RPM per 1000 TPM" (quota.md), never below one request. */
export function defaultRpmForTpm(tpm: number): number {
  return Math.max(1, Math.floor((tpm / 1000) * 6));
}

export class PaygLimiter {
  readonly #clock: Clock;
  readonly #tpm: number;
  readonly #rpm: number;
  readonly #requestWindowMs: number;
  readonly #requestsPerWindow: number;

  #minuteIndex = Number.NaN;
  #tokensThisMinute = 0;
  #requestsThisMinute = 0;
  #requestWindowIndex = Number.NaN;
  #requestsThisWindow = 0;

  constructor(options: PaygLimiterOptions, clock: Clock) {
    const { tpm } = options;
    if (!(tpm > 0) || !Number.isFinite(tpm)) throw new RangeError(`tpm must be a positive number, got ${tpm}`);
    const rpm = options.rpm ?? defaultRpmForTpm(tpm);
    if (!(rpm > 0) || !Number.isFinite(rpm)) throw new RangeError(`rpm must be a positive number, got ${rpm}`);
    const windowSeconds = options.requestWindowSeconds ?? DEFAULT_REQUEST_WINDOW_SECONDS;
    if (!(windowSeconds > 0) || !Number.isFinite(windowSeconds)) {
      throw new RangeError(`requestWindowSeconds must be a positive number, got ${windowSeconds}`);
    }
    this.#clock = clock;
    this.#tpm = tpm;
    this.#rpm = rpm;
    this.#requestWindowMs = windowSeconds * 1000;
    // Rounded up so a small rpm still allows one request per window.
    this.#requestsPerWindow = Math.max(1, Math.ceil((rpm * windowSeconds) / 60));
  }

  get rpm(): number {
    return this.#rpm;
  }

  /** Requests admitted per request window. */
  get requestsPerWindow(): number {
    return this.#requestsPerWindow;
  }

  tryAdmit(estimatedTokens: number): PaygAdmission {
    if (!(estimatedTokens >= 0)) throw new RangeError(`estimatedTokens must be >= 0, got ${estimatedTokens}`);
    const now = this.#clock.now();
    this.#roll(now);

    // A request bigger than the whole TPM fails here too: it can never fit in a minute.
    const tokensBlocked = this.#tokensThisMinute + estimatedTokens > this.#tpm;
    const requestsBlocked = this.#requestsThisWindow >= this.#requestsPerWindow;

    if (!tokensBlocked && !requestsBlocked) {
      this.#tokensThisMinute += estimatedTokens;
      this.#requestsThisMinute += 1;
      this.#requestsThisWindow += 1;
      return { admitted: true, ...this.#figures() };
    }

    const resetTokensSeconds = secondsUntilWindowEnds(now, MINUTE_MS);
    const resetRequestsSeconds = secondsUntilWindowEnds(now, this.#requestWindowMs);
    // When both budgets are spent, name the one that lasts longer: retrying when the other
    // resets would only be throttled again.
    const reason: 'tpm' | 'rpm' =
      tokensBlocked && (!requestsBlocked || resetTokensSeconds >= resetRequestsSeconds) ? 'tpm' : 'rpm';
    return {
      admitted: false,
      reason,
      retryAfterSeconds: reason === 'tpm' ? resetTokensSeconds : resetRequestsSeconds,
      resetTokensSeconds,
      resetRequestsSeconds,
      ...this.#figures(),
    };
  }

  #figures(): PaygQuotaFigures {
    return {
      limitTokens: this.#tpm,
      remainingTokens: Math.max(0, this.#tpm - this.#tokensThisMinute),
      limitRequests: this.#rpm,
      // The sub-window limit is rounded up, so a minute can admit a few more than rpm.
      remainingRequests: Math.max(0, this.#rpm - this.#requestsThisMinute),
    };
  }

  #roll(now: number): void {
    const minuteIndex = Math.floor(now / MINUTE_MS);
    if (minuteIndex !== this.#minuteIndex) {
      this.#minuteIndex = minuteIndex;
      this.#tokensThisMinute = 0;
      this.#requestsThisMinute = 0;
    }
    const requestWindowIndex = Math.floor(now / this.#requestWindowMs);
    if (requestWindowIndex !== this.#requestWindowIndex) {
      this.#requestWindowIndex = requestWindowIndex;
      this.#requestsThisWindow = 0;
    }
  }
}

/** Whole seconds, rounded up, until the epoch-aligned window holding `now` ends; at least 1. */
function secondsUntilWindowEnds(now: number, windowMs: number): number {
  const endMs = (Math.floor(now / windowMs) + 1) * windowMs;
  return Math.max(1, Math.ceil((endMs - now) / 1000));
}
