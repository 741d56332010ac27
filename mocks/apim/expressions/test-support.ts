/**
 * A ready-made PolicyContextView for tests: an Azure OpenAI chat request through the managed
 * gateway in East US. Each test overrides only what it is about.
 */
import { headerMap, messageBody, urlView } from './context-builders.ts';
import type { PolicyContextView, RequestView } from './context-types.ts';
import { compileExpression } from './index.ts';

export const FIXED_NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

export interface ContextOptions {
  body?: string | null;
  headers?: Record<string, string | string[]>;
  url?: string;
  variables?: Record<string, unknown>;
  request?: Partial<RequestView>;
}

export function testContext(options: ContextOptions = {}, overrides: Partial<PolicyContextView> = {}): PolicyContextView {
  const body = options.body === undefined ? '{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}' : options.body;
  return {
    request: {
      method: 'POST',
      url: urlView(options.url ?? 'https://contoso.azure-api.net/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21'),
      headers: headerMap(options.headers ?? { 'Content-Type': 'application/json', 'X-Priority': 'high' }),
      body: body === null ? null : messageBody(body),
      ipAddress: '203.0.113.7',
      ...options.request,
    },
    response: null,
    subscription: { id: 'sub-team-a', name: 'Team A', key: 'key-a' },
    product: { id: 'ai-standard', name: 'AI Standard' },
    api: { id: 'azure-openai', name: 'Azure OpenAI', path: 'openai' },
    operation: { id: 'chat-completions', name: 'Chat Completions', method: 'POST', urlTemplate: '/deployments/{deployment-id}/chat/completions' },
    deployment: { region: 'East US', serviceName: 'contoso', gatewayId: 'managed' },
    variables: new Map(Object.entries(options.variables ?? {})),
    lastError: null,
    requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
    elapsedMs: 1500,
    now: () => FIXED_NOW,
    newGuid: () => '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    ...overrides,
  };
}

/** Compiles and evaluates in one step. */
export function run(text: string, context: PolicyContextView = testContext()): unknown {
  return compileExpression(text).evaluate(context);
}
