/**
 * The policies of /work/shared/seeds/mission-critical-api-and-ai-gateway.md, copied verbatim
 * into test-fixtures/seeds/. Three compile; three are wrong or unsupported in ways the
 * emulator must explain.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, problems } from './test-support.ts';

const seed = (name: string) => readFileSync(new URL(`./test-fixtures/seeds/${name}.xml`, import.meta.url), 'utf8');
const api = (name: string) => ({ file: `${name}.xml`, scope: 'api' as const });

describe('seed policies', () => {
  it('region-aware routing compiles: quotes inside expressions, four branches', () => {
    const policy = compile(seed('region-aware-routing'), api('region-aware-routing'));
    const [base, choose] = policy.sections.inbound ?? [];
    expect(base?.kind).toBe('base');
    if (choose?.kind !== 'choose') throw new Error('expected choose');
    expect(choose.when).toHaveLength(3);
    expect(choose.when[0]?.condition.kind).toBe('expression');
    expect(choose.when[0]?.condition.text).toBe('@("East US".Equals(context.Deployment.Region, StringComparison.OrdinalIgnoreCase))');
    const target = choose.otherwise?.[0];
    expect(target?.kind === 'set-backend-service' && target.baseUrl?.kind === 'literal' && target.baseUrl.value).toBe('https://aoai-eastus.openai.azure.com/');
    expect(choose.at).toEqual({ file: 'region-aware-routing.xml', line: 4, column: 9 });
  });

  it('priority routing compiles: set-variable, choose, set-header values, rate-limit-by-key', () => {
    const policy = compile(seed('priority-routing'), api('priority-routing'));
    const kinds = policy.sections.inbound?.map((n) => n.kind);
    expect(kinds).toEqual(['base', 'set-variable', 'choose']);
    const choose = policy.sections.inbound?.[2];
    if (choose?.kind !== 'choose') throw new Error('expected choose');
    expect(choose.when[0]?.policies.map((n) => n.kind)).toEqual(['set-backend-service', 'set-header']);
    const header = choose.when[0]?.policies[1];
    expect(header?.kind === 'set-header' && header.values.map((v) => v.text)).toEqual(['ptu-priority']);
    const limit = choose.otherwise?.[0];
    if (limit?.kind !== 'rate-limit-by-key') throw new Error('expected rate-limit-by-key');
    expect(limit.calls).toMatchObject({ kind: 'literal', value: 10 });
    expect(limit.renewalPeriod).toMatchObject({ kind: 'literal', value: 60 });
    expect(limit.counterKey.kind).toBe('expression');
    expect(limit.retryAfterHeaderName).toBe('Retry-After');
  });

  it('retry with on-error compiles', () => {
    const policy = compile(seed('retry-and-on-error'), api('retry-and-on-error'));
    expect(policy.sections.inbound).toBeNull();
    const retry = policy.sections.backend?.[0];
    if (retry?.kind !== 'retry') throw new Error('expected retry');
    expect(retry.count).toMatchObject({ value: 3 });
    expect(retry.interval).toMatchObject({ value: 1 });
    expect(retry.delta).toMatchObject({ value: 1 });
    expect(retry.maxInterval).toMatchObject({ value: 10 });
    expect(retry.firstFastRetry).toMatchObject({ value: true });
    expect(retry.policies[0]).toMatchObject({ kind: 'forward-request', bufferRequestBody: true, timeout: { value: 300 } });
    expect(policy.sections['on-error']?.map((n) => n.kind)).toEqual(['base', 'choose']);
  });

  it('token rate limiting does not compile: <llm-token-limit-backend-id> is not an APIM element', () => {
    expect(problems(seed('token-rate-limiting'), api('token-rate-limiting'))).toEqual([
      'token-rate-limiting.xml:10:13: llm-token-limit: <llm-token-limit-backend-id> is not an APIM element: <llm-token-limit> takes no child elements. The limit applies to whichever backend the request is routed to; choose it with <set-backend-service backend-id="..."/>',
    ]);
  });

  it('token rate limiting compiles once the invented child is removed', () => {
    const fixed = seed('token-rate-limiting').replace(/\s*<llm-token-limit-backend-id>.*<\/llm-token-limit-backend-id>/, '');
    const limit = compile(fixed).sections.inbound?.[1];
    expect(limit).toMatchObject({ kind: 'llm-token-limit', tokensPerMinute: { value: 10000 }, estimatePromptTokens: true, remainingTokensVariableName: 'remainingTokens', tokenQuota: null });
  });

  it('token metrics do not compile: APIM allows llm-emit-token-metric in inbound only', () => {
    expect(problems(seed('token-metrics'), api('token-metrics'))).toEqual([
      'token-metrics.xml:5:9: llm-emit-token-metric: <llm-emit-token-metric> is not allowed in the outbound section (APIM allows it in: inbound)',
    ]);
    const moved = seed('token-metrics').replaceAll('outbound>', 'inbound>');
    const metric = compile(moved).sections.inbound?.[1];
    expect(metric?.kind === 'llm-emit-token-metric' && metric.dimensions.map((d) => d.name.text)).toEqual(['Subscription', 'Product', 'API', 'Region', 'Model']);
  });

  it('content safety is reported as unsupported, not unknown', () => {
    expect(problems(seed('content-safety'), api('content-safety'))).toEqual(['content-safety.xml:5:9: llm-content-safety: <llm-content-safety> is not supported by the emulator']);
  });
});
