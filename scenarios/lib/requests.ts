import type { PlanTraffic, SpillwayPlan } from './plan.ts';
import { fillerPrompt } from './prompt.ts';
import { sample, type Random } from './random.ts';

/**
 * The HTTP requests a traffic class sends, in the shape the Azure OpenAI SDKs send them through
 * the AI gateway: the API's path suffix `openai`, the subscription key in `api-key` (the same
 * header the SDKs use for an Azure OpenAI key), the priority in `X-Priority`, and for a class
 * that has one, its bearer token in `Authorization` (an Entra ID token, as a gateway's
 * validate-jwt expects it beside the key).
 */

/** The header that carries the run's id on every request (docs/log-analytics.md). */
export const runMarkerHeader = 'x-spillway-run';

/** How long one request may take before k6 gives up on it (status 0, error_code 1050). */
export const REQUEST_TIMEOUT_SECONDS = 60;

/** The tags every default http_* sample of a request carries. Never a key, never a per-request id. */
export interface RequestTags {
  [name: string]: string;
  scenario: string;
  consumer: string;
  priority: string;
  operation: string;
}

export interface BuiltRequest {
  url: string;
  body: string;
  params: {
    headers: Record<string, string>;
    tags: RequestTags;
    timeout: string;
    responseType: 'text';
  };
  /** What was asked for, kept for checks and tests (not sent separately). */
  promptWords: number;
  maxTokens: number | undefined;
}

/** The X-Priority value of a class: '' when it sends none. */
export function priorityHeader(traffic: PlanTraffic): string {
  return traffic.priority === 'none' ? '' : traffic.priority;
}

function params(plan: SpillwayPlan, traffic: PlanTraffic): BuiltRequest['params'] {
  const headers: Record<string, string> = { 'api-key': traffic.key, 'content-type': 'application/json' };
  const priority = priorityHeader(traffic);
  if (priority !== '') headers['X-Priority'] = priority;
  if (traffic.bearer !== undefined) headers.Authorization = `Bearer ${traffic.bearer}`;
  // The run marker: how a gateway's own logs (Log Analytics) are told apart by run.
  if (plan.runId !== '') headers[runMarkerHeader] = plan.runId;
  return {
    headers,
    // k6's system tag `scenario` would name the k6 scenario (one per traffic class); the plan's
    // name is set here so that http_* samples group by Spillway scenario.
    tags: { scenario: plan.name, consumer: traffic.consumer, priority, operation: traffic.operation },
    timeout: `${REQUEST_TIMEOUT_SECONDS}s`,
    // The body is needed to read usage and the gateway's refusal message.
    responseType: 'text',
  };
}

function deploymentUrl(plan: SpillwayPlan, deployment: string, operation: string): string {
  return `${plan.baseUrl}/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${encodeURIComponent(plan.apiVersion)}`;
}

/**
 * A chat completion with a filler prompt. Streaming asks for the usage frame
 * (`stream_options.include_usage`), the only place a stream reports its token counts.
 */
export function chatRequest(plan: SpillwayPlan, traffic: PlanTraffic, random: Random): BuiltRequest {
  const promptWords = sample(traffic.promptWords, random);
  const maxTokens = sample(traffic.maxTokens, random);
  const body: Record<string, unknown> = {
    messages: [{ role: 'user', content: fillerPrompt(promptWords, random) }],
    max_tokens: maxTokens,
  };
  if (traffic.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return { url: deploymentUrl(plan, plan.deployment, 'chat/completions'), body: JSON.stringify(body), params: params(plan, traffic), promptWords, maxTokens };
}

/** An embeddings request for a filler input (max_tokens does not apply). */
export function embeddingsRequest(plan: SpillwayPlan, traffic: PlanTraffic, random: Random): BuiltRequest {
  const promptWords = sample(traffic.promptWords, random);
  const body = { input: fillerPrompt(promptWords, random) };
  return { url: deploymentUrl(plan, plan.embeddingDeployment, 'embeddings'), body: JSON.stringify(body), params: params(plan, traffic), promptWords, maxTokens: undefined };
}

export function buildRequest(plan: SpillwayPlan, traffic: PlanTraffic, random: Random): BuiltRequest {
  return traffic.operation === 'embeddings' ? embeddingsRequest(plan, traffic, random) : chatRequest(plan, traffic, random);
}
