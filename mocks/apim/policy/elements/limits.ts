/** `<rate-limit-by-key>`, `<quota-by-key>`, `<llm-token-limit>` / `<azure-openai-token-limit>`. */
import { parseIsoDateTime } from '../durations.ts';
import type { QuotaByKeyPolicy, RateLimitByKeyPolicy, TokenLimitPolicy, TokenQuotaPeriod } from '../policy-ast.ts';
import { boolean, fromOptional, integer, oneOf } from '../value-parsers.ts';
import { nodeBase } from './element-compiler.ts';
import type { ElementCompiler } from './element-compiler.ts';

const MAX = Number.MAX_SAFE_INTEGER;

/** APIM's rate-limit-by-key window is a sliding window of at most 300 seconds. */
export const MAX_RATE_LIMIT_RENEWAL_SECONDS = 300;
/** quota-by-key periods are 0 (never renew) or at least 300 seconds. */
export const MIN_QUOTA_RENEWAL_SECONDS = 300;
export const DEFAULT_FIRST_PERIOD_START = '0001-01-01T00:00:00Z';

export const compileRateLimitByKey: ElementCompiler = (r): RateLimitByKeyPolicy | null => {
  const base = nodeBase(r);
  const calls = r.int('calls', 1, MAX, { required: true });
  const renewalPeriod = r.int('renewal-period', 1, MAX_RATE_LIMIT_RENEWAL_SECONDS, { required: true });
  const counterKey = r.string('counter-key', { required: true });
  const incrementCondition = r.bool('increment-condition');
  const incrementCount = r.int('increment-count', 1, MAX) ?? r.fallback('1', 1);
  const retryAfterHeaderName = r.literalString('retry-after-header-name') ?? 'Retry-After';
  const retryAfterVariableName = r.literalString('retry-after-variable-name');
  const remainingCallsHeaderName = r.literalString('remaining-calls-header-name');
  const remainingCallsVariableName = r.literalString('remaining-calls-variable-name');
  const totalCallsHeaderName = r.literalString('total-calls-header-name');
  r.noContent();
  if (!calls || !renewalPeriod || !counterKey) return null;
  return {
    ...base,
    kind: 'rate-limit-by-key',
    calls,
    renewalPeriod,
    counterKey,
    incrementCondition,
    incrementCount,
    retryAfterHeaderName,
    retryAfterVariableName,
    remainingCallsHeaderName,
    remainingCallsVariableName,
    totalCallsHeaderName,
  };
};

/** 0, or at least MIN_QUOTA_RENEWAL_SECONDS. */
const quotaRenewal = (text: string) => {
  const n = integer(0, MAX)(text);
  if (n.ok && n.value !== 0 && n.value < MIN_QUOTA_RENEWAL_SECONDS) {
    return { ok: false as const, message: `must be 0 (never renews) or at least ${MIN_QUOTA_RENEWAL_SECONDS} seconds, got ${n.value}` };
  }
  return n;
};

export const compileQuotaByKey: ElementCompiler = (r): QuotaByKeyPolicy | null => {
  const base = nodeBase(r);
  // APIM allows expressions only in counter-key, increment-condition and increment-count.
  const calls = r.literal('calls', integer(1, MAX));
  const bandwidth = r.literal('bandwidth', integer(1, MAX));
  if (!r.has('calls') && !r.has('bandwidth')) r.problem('missing-attribute', r.element.start, "missing required attribute: 'calls', 'bandwidth' or both");
  const renewalPeriod = r.literal('renewal-period', quotaRenewal, { required: true });
  const counterKey = r.string('counter-key', { required: true });
  const incrementCondition = r.bool('increment-condition');
  const incrementCount = r.int('increment-count', 1, MAX) ?? r.fallback('1', 1);
  const firstPeriodStartMs =
    r.literal('first-period-start', fromOptional(parseIsoDateTime, 'a date-time such as 2024-01-01T00:00:00Z')) ?? (parseIsoDateTime(DEFAULT_FIRST_PERIOD_START) as number);
  r.noContent();
  if ((calls === null && bandwidth === null) || renewalPeriod === null || !counterKey) return null;
  return { ...base, kind: 'quota-by-key', calls, bandwidth, renewalPeriod, counterKey, incrementCondition, incrementCount, firstPeriodStartMs };
};

const QUOTA_PERIODS: readonly TokenQuotaPeriod[] = ['Hourly', 'Daily', 'Weekly', 'Monthly', 'Yearly'];

export const compileTokenLimit: ElementCompiler = (r): TokenLimitPolicy | null => {
  const base = nodeBase(r);
  const kind = r.name === 'azure-openai-token-limit' ? 'azure-openai-token-limit' : 'llm-token-limit';
  const counterKey = r.string('counter-key', { required: true });
  const tokensPerMinute = r.int('tokens-per-minute', 1, MAX);
  const tokenQuota = r.literal('token-quota', integer(1, MAX));
  const tokenQuotaPeriod = r.literal('token-quota-period', oneOf(QUOTA_PERIODS));
  const estimatePromptTokens = r.literal('estimate-prompt-tokens', boolean, { required: true });
  if (!r.has('tokens-per-minute') && !r.has('token-quota')) {
    r.problem('missing-attribute', r.element.start, "missing required attribute: 'tokens-per-minute', or 'token-quota' with 'token-quota-period' (or both)");
  }
  if (r.has('token-quota') && !r.has('token-quota-period')) r.problem('missing-attribute', r.element.start, "'token-quota' requires 'token-quota-period' (Hourly, Daily, Weekly, Monthly or Yearly)");
  if (r.has('token-quota-period') && !r.has('token-quota')) r.problem('missing-attribute', r.element.start, "'token-quota-period' requires 'token-quota'");
  const names = {
    retryAfterHeaderName: r.literalString('retry-after-header-name') ?? 'Retry-After',
    retryAfterVariableName: r.literalString('retry-after-variable-name'),
    remainingQuotaTokensHeaderName: r.literalString('remaining-quota-tokens-header-name'),
    remainingQuotaTokensVariableName: r.literalString('remaining-quota-tokens-variable-name'),
    remainingTokensHeaderName: r.literalString('remaining-tokens-header-name'),
    remainingTokensVariableName: r.literalString('remaining-tokens-variable-name'),
    tokensConsumedHeaderName: r.literalString('tokens-consumed-header-name'),
    tokensConsumedVariableName: r.literalString('tokens-consumed-variable-name'),
  };
  for (const child of r.element.content) {
    if (child.kind === 'element' && child.name.endsWith('-backend-id')) {
      // The seed design document invents <llm-token-limit-backend-id>; say what to do instead.
      r.problem(
        'invalid-structure',
        child.start,
        `<${child.name}> is not an APIM element: <${r.name}> takes no child elements. The limit applies to whichever backend the request is routed to; choose it with <set-backend-service backend-id="..."/>`,
      );
    } else if (child.kind === 'element') {
      r.problem('invalid-structure', child.start, `<${r.name}> does not accept child elements, found <${child.name}>`);
    } else {
      r.problem('invalid-structure', child.start, `unexpected text inside <${r.name}>`);
    }
  }
  if (!counterKey || estimatePromptTokens === null) return null;
  if (!tokensPerMinute && tokenQuota === null) return null;
  if ((tokenQuota === null) !== (tokenQuotaPeriod === null)) return null;
  return { ...base, kind, counterKey, tokensPerMinute, tokenQuota, tokenQuotaPeriod, estimatePromptTokens, ...names };
};
