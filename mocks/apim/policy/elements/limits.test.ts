import { describe, expect, it } from 'vitest';
import { inSection, only, problems } from '../test-support.ts';

describe('<rate-limit-by-key>', () => {
  it('compiles every documented attribute', () => {
    const node = only('rate-limit-by-key', [
      '<rate-limit-by-key calls="@(5 * 2)" renewal-period="300" counter-key="@(context.Request.IpAddress)"',
      '  increment-condition="@(context.Response.StatusCode == 200)" increment-count="@(2)"',
      '  retry-after-header-name="x-retry" retry-after-variable-name="ra" remaining-calls-header-name="x-left"',
      '  remaining-calls-variable-name="left" total-calls-header-name="x-total" />',
    ]);
    expect(node).toMatchObject({
      calls: { kind: 'expression' },
      renewalPeriod: { kind: 'literal', value: 300 },
      counterKey: { kind: 'expression' },
      incrementCondition: { kind: 'expression' },
      incrementCount: { kind: 'expression' },
      retryAfterHeaderName: 'x-retry',
      retryAfterVariableName: 'ra',
      remainingCallsHeaderName: 'x-left',
      remainingCallsVariableName: 'left',
      totalCallsHeaderName: 'x-total',
    });
  });

  it('defaults increment-count to 1 and retry-after-header-name to Retry-After', () => {
    expect(only('rate-limit-by-key', ['<rate-limit-by-key calls="1" renewal-period="1" counter-key="k" />'])).toMatchObject({
      incrementCount: { value: 1 },
      incrementCondition: null,
      retryAfterHeaderName: 'Retry-After',
      retryAfterVariableName: null,
    });
  });

  it('caps renewal-period at 300 seconds and checks types', () => {
    expect(problems(inSection('inbound', '<rate-limit-by-key calls="1" renewal-period="301" counter-key="k" increment-condition="@(1)" total-calls-header-name="@(&quot;x&quot;)" />'))).toEqual([
      "policy.xml:3:46: rate-limit-by-key: invalid value for attribute 'renewal-period': must be between 1 and 300, got 301",
      "policy.xml:3:88: rate-limit-by-key: attribute 'increment-condition' must be a bool, but the expression is of type int",
      "policy.xml:3:119: rate-limit-by-key: policy expressions are not allowed in attribute 'total-calls-header-name'",
    ]);
    expect(problems(inSection('inbound', '<rate-limit-by-key />'))).toEqual([
      "policy.xml:3:1: rate-limit-by-key: missing required attribute 'calls'",
      "policy.xml:3:1: rate-limit-by-key: missing required attribute 'renewal-period'",
      "policy.xml:3:1: rate-limit-by-key: missing required attribute 'counter-key'",
    ]);
  });
});

describe('<quota-by-key>', () => {
  it('compiles calls and/or bandwidth with a fixed renewal period', () => {
    expect(only('quota-by-key', ['<quota-by-key calls="10000" bandwidth="40000" renewal-period="3600" counter-key="@(context.Request.IpAddress)" first-period-start="2024-01-01T00:00:00Z" />'])).toMatchObject({
      calls: 10000,
      bandwidth: 40000,
      renewalPeriod: 3600,
      counterKey: { kind: 'expression' },
      incrementCount: { value: 1 },
      firstPeriodStartMs: Date.UTC(2024, 0, 1),
    });
    const lifetime = only('quota-by-key', ['<quota-by-key bandwidth="1" renewal-period="0" counter-key="k" increment-count="@(3)" />']);
    expect(lifetime).toMatchObject({ calls: null, renewalPeriod: 0, incrementCount: { kind: 'expression' } });
    expect(new Date(lifetime.firstPeriodStartMs).toISOString()).toBe('0001-01-01T00:00:00.000Z');
  });

  it('validates periods, dates and the calls/bandwidth requirement', () => {
    expect(problems(inSection('inbound', '<quota-by-key renewal-period="60" counter-key="k" first-period-start="2024-02-30T00:00:00Z" />'))).toEqual([
      "policy.xml:3:1: quota-by-key: missing required attribute: 'calls', 'bandwidth' or both",
      "policy.xml:3:31: quota-by-key: invalid value for attribute 'renewal-period': must be 0 (never renews) or at least 300 seconds, got 60",
      'policy.xml:3:71: quota-by-key: invalid value for attribute \'first-period-start\': expected a date-time such as 2024-01-01T00:00:00Z, got "2024-02-30T00:00:00Z"',
    ]);
  });
});

describe('<llm-token-limit> and <azure-openai-token-limit>', () => {
  it('compiles a tokens-per-minute limit', () => {
    expect(only('llm-token-limit', ['<llm-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="5000" estimate-prompt-tokens="false" />'])).toMatchObject({
      kind: 'llm-token-limit',
      tokensPerMinute: { kind: 'literal', value: 5000 },
      tokenQuota: null,
      tokenQuotaPeriod: null,
      estimatePromptTokens: false,
      retryAfterHeaderName: 'Retry-After',
    });
  });

  it('compiles a quota with its period, and every header/variable name', () => {
    const node = only('azure-openai-token-limit', [
      '<azure-openai-token-limit counter-key="k" token-quota="100000" token-quota-period="monthly" estimate-prompt-tokens="true"',
      '  retry-after-header-name="ra-h" retry-after-variable-name="ra-v" remaining-quota-tokens-header-name="rq-h" remaining-quota-tokens-variable-name="rq-v"',
      '  remaining-tokens-header-name="rt-h" remaining-tokens-variable-name="rt-v" tokens-consumed-header-name="tc-h" tokens-consumed-variable-name="tc-v" />',
    ]);
    expect(node).toMatchObject({
      kind: 'azure-openai-token-limit',
      tokensPerMinute: null,
      tokenQuota: 100000,
      tokenQuotaPeriod: 'Monthly',
      estimatePromptTokens: true,
      retryAfterHeaderName: 'ra-h',
      retryAfterVariableName: 'ra-v',
      remainingQuotaTokensHeaderName: 'rq-h',
      remainingQuotaTokensVariableName: 'rq-v',
      remainingTokensHeaderName: 'rt-h',
      remainingTokensVariableName: 'rt-v',
      tokensConsumedHeaderName: 'tc-h',
      tokensConsumedVariableName: 'tc-v',
    });
  });

  it('requires estimate-prompt-tokens, a limit, and quota with period', () => {
    expect(problems(inSection('inbound', '<llm-token-limit counter-key="k" />', '<llm-token-limit counter-key="k" token-quota="5" estimate-prompt-tokens="yes" />', '<llm-token-limit counter-key="k" token-quota-period="Daily" tokens-per-minute="1" estimate-prompt-tokens="true" />'))).toEqual([
      "policy.xml:3:1: llm-token-limit: missing required attribute 'estimate-prompt-tokens'",
      "policy.xml:3:1: llm-token-limit: missing required attribute: 'tokens-per-minute', or 'token-quota' with 'token-quota-period' (or both)",
      "policy.xml:4:1: llm-token-limit: 'token-quota' requires 'token-quota-period' (Hourly, Daily, Weekly, Monthly or Yearly)",
      'policy.xml:4:74: llm-token-limit: invalid value for attribute \'estimate-prompt-tokens\': expected "true" or "false", got "yes"',
      "policy.xml:5:1: llm-token-limit: 'token-quota-period' requires 'token-quota'",
    ]);
  });

  it('rejects expressions in token-quota and bad periods', () => {
    expect(problems(inSection('inbound', '<llm-token-limit counter-key="k" token-quota="@(5)" token-quota-period="Fortnightly" estimate-prompt-tokens="true" />'))).toEqual([
      "policy.xml:3:47: llm-token-limit: policy expressions are not allowed in attribute 'token-quota'",
      'policy.xml:3:73: llm-token-limit: invalid value for attribute \'token-quota-period\': expected one of "Hourly", "Daily", "Weekly", "Monthly", "Yearly", got "Fortnightly"',
    ]);
  });

  it('is inbound only', () => {
    expect(problems(inSection('backend', '<azure-openai-token-limit counter-key="k" tokens-per-minute="1" estimate-prompt-tokens="true" />'))).toEqual([
      'policy.xml:3:1: azure-openai-token-limit: <azure-openai-token-limit> is not allowed in the backend section (APIM allows it in: inbound)',
    ]);
  });
});
