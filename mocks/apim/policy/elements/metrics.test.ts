import { describe, expect, it } from 'vitest';
import { DEFAULT_METRIC_DIMENSIONS } from './metrics.ts';
import { inSection, only, problems } from '../test-support.ts';

describe('<llm-emit-token-metric> and <azure-openai-emit-token-metric>', () => {
  it('compiles dimensions; default dimensions need no value', () => {
    const node = only('llm-emit-token-metric', ['<llm-emit-token-metric namespace="genai">', '  <dimension name="API ID" />', '  <dimension name="Client IP" value="@(context.Request.IpAddress)" />', '</llm-emit-token-metric>']);
    expect(node.namespace).toBe('genai');
    expect(node.dimensions).toMatchObject([
      { name: { value: 'API ID' }, value: null, at: { line: 4, column: 3 } },
      { name: { value: 'Client IP' }, value: { kind: 'expression' } },
    ]);
  });

  it('accepts every default dimension without a value and defaults the namespace', () => {
    const lines = ['<azure-openai-emit-token-metric>', ...DEFAULT_METRIC_DIMENSIONS.map((d) => `  <dimension name="${d}" />`), '</azure-openai-emit-token-metric>'];
    const node = only('azure-openai-emit-token-metric', lines);
    expect(node.namespace).toBe('API Management');
    expect(node.dimensions).toHaveLength(8);
  });

  it('requires values for custom dimensions and at least one dimension', () => {
    expect(problems(inSection('inbound', '<llm-emit-token-metric><dimension name="Model" /></llm-emit-token-metric>', '<llm-emit-token-metric />'))).toEqual([
      "policy.xml:3:24: dimension: dimension 'Model' needs a 'value'; only the default dimensions (API ID, Operation ID, Product ID, User ID, Subscription ID, Location, Gateway ID, Backend ID) may omit it",
      'policy.xml:4:1: llm-emit-token-metric: <llm-emit-token-metric> requires at least one <dimension>',
    ]);
  });

  it('limits dimensions to 10, rejects duplicates and namespace expressions', () => {
    const many = Array.from({ length: 11 }, (_, i) => `<dimension name="d${i}" value="v" />`).join('');
    expect(problems(inSection('inbound', `<llm-emit-token-metric namespace="@(&quot;x&quot;)">${many}</llm-emit-token-metric>`, '<llm-emit-token-metric><dimension name="API ID" /><dimension name="api id" /></llm-emit-token-metric>'))).toEqual([
      'policy.xml:3:1: llm-emit-token-metric: at most 10 dimensions are allowed, found 11',
      "policy.xml:3:35: llm-emit-token-metric: policy expressions are not allowed in attribute 'namespace'",
      "policy.xml:4:51: dimension: duplicate dimension 'api id'",
    ]);
  });

  it('reports the documented-but-unexplained value attribute of azure-openai-emit-token-metric as unsupported', () => {
    expect(problems(inSection('inbound', '<azure-openai-emit-token-metric value="1"><dimension name="API ID" /></azure-openai-emit-token-metric>'))).toEqual([
      "policy.xml:3:33: azure-openai-emit-token-metric: attribute 'value' is not supported by the emulator: the token metrics carry the token counts; a custom metric value is not emulated",
    ]);
  });

  it('is inbound only', () => {
    expect(problems(inSection('outbound', '<azure-openai-emit-token-metric><dimension name="API ID" /></azure-openai-emit-token-metric>'))).toEqual([
      'policy.xml:3:1: azure-openai-emit-token-metric: <azure-openai-emit-token-metric> is not allowed in the outbound section (APIM allows it in: inbound)',
    ]);
  });
});
