import type { PlanTraffic, SpillwayPlan } from './plan.ts';
import { priorityHeader } from './requests.ts';
import { usageOf } from './usage.ts';

/**
 * What the client saw for one request, as the tags of its `spillway_request` sample. The names
 * and values mirror harness/evidence/evidence-types.ts `ClientRecord` (README.md has the table);
 * every value is a string, numbers included, because k6 tags are strings.
 */
export interface ClientTags {
  [name: string]: string;
  status: string;
  scenario: string;
  consumer: string;
  priority: string;
  operation: string;
  stream: string;
  served_by: string;
  served_region: string;
  fd_origin: string;
  error_origin: ErrorOrigin;
  gateway_reason: GatewayReason;
  retry_after: string;
  remaining_tokens: string;
  prompt_tokens: string;
  completion_tokens: string;
}

export type ErrorOrigin = 'gateway' | 'backend' | 'frontdoor' | '';
export type GatewayReason = 'token-limit' | 'token-quota' | 'rate-limit' | 'quota' | 'pool-exhausted' | 'other' | '';

/** The part of a k6 response classification reads. */
export interface ResponseLike {
  status: number;
  headers: Record<string, string>;
  body: string | null | ArrayBuffer;
}

/** Header names the sample gateway and its stand-ins use. */
export const headerNames = {
  servedBy: 'x-fleet-backend',
  servedRegion: 'x-fleet-region',
  frontDoorOrigin: 'x-fd-origin',
  frontDoorRef: 'x-azure-ref',
  retryAfter: 'retry-after',
  remainingTokens: 'x-gateway-remaining-tokens',
  contentType: 'content-type',
} as const;

/**
 * A response header by name, whatever its case: k6 canonicalises names (X-Fleet-Backend) for
 * HTTP/1.1 but HTTP/2 answers may keep them lower-case. '' when absent.
 */
export function header(headers: Record<string, string>, name: string): string {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value;
  return '';
}

function bodyText(body: ResponseLike['body']): string {
  return typeof body === 'string' ? body : '';
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Front Door's own error page: its documented wording ("Our services aren't available right now"). */
function isFrontDoorPage(headers: Record<string, string>, text: string): boolean {
  return text.includes("Our services aren't available right now") || (header(headers, headerNames.contentType).startsWith('text/html') && !jsonObject(text));
}

/**
 * Who refused a request (any status >= 400; '' below that and when nothing came back):
 * - backend: the answer names a fleet backend (x-fleet-backend), or carries Azure OpenAI's
 *   `{"error":{...}}` body (a real backend, passed through by the gateway);
 * - gateway: APIM's own `{"statusCode":N,"message":"..."}` body;
 * - frontdoor: Front Door's error page, or any other answer that carries Front Door's
 *   X-Azure-Ref but did not come through an origin (no x-fd-origin);
 * - otherwise gateway: something the gateway (or whatever is at baseUrl) said itself.
 */
export function errorOrigin(response: ResponseLike): ErrorOrigin {
  if (response.status < 400) return '';
  const { headers } = response;
  const text = bodyText(response.body);
  if (header(headers, headerNames.servedBy) !== '') return 'backend';
  const json = jsonObject(text);
  if (json && typeof json.error === 'object' && json.error !== null) return 'backend';
  if (json && typeof json.statusCode === 'number' && typeof json.message === 'string') return 'gateway';
  if (isFrontDoorPage(headers, text)) return 'frontdoor';
  if (header(headers, headerNames.frontDoorOrigin) === '' && header(headers, headerNames.frontDoorRef) !== '') return 'frontdoor';
  return 'gateway';
}

/**
 * Why the gateway refused, from the message of its own body (APIM's wording):
 * "Token limit is exceeded…" (llm-token-limit, per minute), "Token quota is exceeded…"
 * (llm-token-limit quota), "Rate limit is exceeded…" (rate-limit[-by-key]), "Out of call volume
 * quota…" (quota[-by-key]), and a 503 without a backend ("Backend pool is temporarily
 * unavailable…": every pool member tripped). Anything else is 'other'.
 */
export function gatewayReason(response: ResponseLike, origin: ErrorOrigin): GatewayReason {
  if (origin !== 'gateway') return '';
  const message = jsonObject(bodyText(response.body))?.message;
  const text = typeof message === 'string' ? message : '';
  if (text.startsWith('Token limit is exceeded')) return 'token-limit';
  if (text.startsWith('Token quota is exceeded')) return 'token-quota';
  if (text.startsWith('Rate limit is exceeded')) return 'rate-limit';
  if (text.startsWith('Out of call volume quota')) return 'quota';
  if (response.status === 503 || text.startsWith('Backend pool is temporarily unavailable')) return 'pool-exhausted';
  return 'other';
}

/** The full tag set of one request's `spillway_request` sample. */
export function classify(response: ResponseLike, plan: SpillwayPlan, traffic: PlanTraffic): ClientTags {
  const { status, headers } = response;
  const origin = errorOrigin(response);
  const usage = status >= 200 && status < 300 ? usageOf(bodyText(response.body), traffic.stream) : { promptTokens: 0, completionTokens: 0 };
  return {
    status: String(status),
    scenario: plan.name,
    consumer: traffic.consumer,
    priority: priorityHeader(traffic),
    operation: traffic.operation,
    stream: String(traffic.stream),
    served_by: header(headers, headerNames.servedBy),
    served_region: header(headers, headerNames.servedRegion),
    fd_origin: header(headers, headerNames.frontDoorOrigin),
    error_origin: origin,
    gateway_reason: gatewayReason(response, origin),
    retry_after: header(headers, headerNames.retryAfter),
    remaining_tokens: header(headers, headerNames.remainingTokens),
    prompt_tokens: String(usage.promptTokens),
    completion_tokens: String(usage.completionTokens),
  };
}
