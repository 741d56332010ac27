import { createHash, randomUUID } from 'node:crypto';
import type { RequestHandler } from 'msw';
import { UrlMemoHttpHandler } from '../shared/url-memo-http-handler.ts';
import type { Clock } from '../shared/clock.ts';
import { bufferedResponse } from '../shared/msw-node-server.ts';
import { abortableSleep } from '../shared/abortable-sleep.ts';
import { boundedMemo } from '../shared/bounded-memo.ts';
import type { Rng } from '../shared/rng.ts';
import { isServedApiVersion } from './api-versions.ts';
import { azureErrors, errorResponse, type AzureError } from './azure-errors.ts';
import { completionText, completionTokens } from './completion-text.ts';
import { resolveCompletionLength, sampleCompletionLength } from './completion-length.ts';
import type { DeploymentRuntime } from './deployment-runtime.ts';
import { embeddingVector, encodeEmbedding, resolveEmbeddingDimensions } from './embedding-vectors.ts';
import type { FaultRule, FaultRules } from './fault-rules.ts';
import { planLatency } from './latency-model.ts';
import type { Ledger, LedgerEntry, LedgerReason, RequestRecord } from './ledger.ts';
import type { Operation } from './model-catalog.ts';
import { ptuAdmissionCost, type PtuTicket } from './ptu-limiter.ts';
import { parseJsonBody, validateEmbeddingRequest } from './request-validation.ts';
import { analyzeCompletionBody, type CompletionRequestFacts } from './completion-request-facts.ts';
import { completionId, embeddingsBody, usage, type AnswerMeta } from './response-bodies.ts';
import { chatCompletionJson, textCompletionJson } from './response-json.ts';
import { addSuccessHeaders, baseResponseHeaders, type ResponseHeaders } from './response-headers.ts';
import {
  chatFinishFrame,
  chatRoleFrame,
  chatTokenFrame,
  chatUsageFrame,
  promptFilterFrame,
  textFinishFrame,
  textTokenFrame,
  textUsageFrame,
} from './sse-frames.ts';
import { timedSseStream } from './sse-stream.ts';
import { countEmbeddingInputTokens, estimatePromptTokensByCharacters, promptCharacterCount } from './tokens.ts';
import type { ResourceConfig } from './topology.ts';

/**
 * The msw handlers of one Azure OpenAI resource. Order of checks, as the service applies
 * them: injected faults (a broken backend answers nothing else), api-version, auth,
 * deployment, content type, body, operation, context length, then capacity. A request
 * rejected before admission costs no capacity. Every request ends in exactly one ledger record.
 */
export interface ResourceRuntime {
  resource: ResourceConfig;
  deployments: ReadonlyMap<string, DeploymentRuntime>;
  faults: FaultRules;
  ledger: Ledger;
  clock: Clock;
  rng: Rng;
  latencyScale: number;
  seed: number;
}

/** Test-only header: forces the completion length of one request. */
export const forcedCompletionTokensHeader = 'x-fleet-completion-tokens';

const operationNames: Record<Operation, { api: string; display: string }> = {
  chat: { api: 'ChatCompletions_Create', display: 'chatCompletion' },
  completions: { api: 'Completions_Create', display: 'completion' },
  embeddings: { api: 'Embeddings_Create', display: 'embeddings' },
};

/** The api-version query parameter; request URLs repeat, so each is parsed once. */
const apiVersionOf = boundedMemo((url: string): string | null => new URL(url).searchParams.get('api-version'));

/**
 * `base` prefixes the paths: the origin the handlers are served on (see MswNodeServerOptions
 * .handlers), or '' for paths msw resolves itself. Chat comes first: it is what load tests
 * send most, and msw tries the handlers in order.
 */
export function aoaiHandlers(runtime: ResourceRuntime, base = ''): RequestHandler[] {
  const route = (operation: Operation) => ({ request, params }: { request: Request; params: Record<string, string | readonly string[] | undefined> }) =>
    handleModelRequest(runtime, operation, request, String(params.deployment ?? ''));
  return [
    new UrlMemoHttpHandler('POST', `${base}/openai/deployments/:deployment/chat/completions`, route('chat')),
    new UrlMemoHttpHandler('POST', `${base}/openai/deployments/:deployment/completions`, route('completions')),
    new UrlMemoHttpHandler('POST', `${base}/openai/deployments/:deployment/embeddings`, route('embeddings')),
  ];
}

/** What the ledger needs to know about a request as it goes. */
interface Tracking {
  start: number;
  requestId: string;
  deployment: string;
  operation: RequestRecord['operation'];
  stream: boolean;
  promptTokens: number;
  admissionCost: number;
  request: Request;
  apiVersion: string | null;
  /** Ids of the fault rules that fired on the request, if any did. */
  faults: string[] | undefined;
}

function record(runtime: ResourceRuntime, t: Tracking, outcome: { status: number; reason: LedgerReason; completionTokens?: number; firstByte?: number | null }): void {
  const headers = t.request.headers;
  const key = headers.get('ocp-apim-subscription-key');
  const auth = headers.get('api-key') ? 'api-key' : /^bearer\s/i.test(headers.get('authorization') ?? '') ? 'bearer' : 'none';
  const end = runtime.clock.now();
  const entry: LedgerEntry = {
    type: 'request',
    start: t.start,
    firstByte: outcome.firstByte === undefined ? end : outcome.firstByte,
    end,
    backend: runtime.resource.name,
    region: runtime.resource.region,
    kind: runtime.resource.kind,
    deployment: t.deployment,
    operation: t.operation,
    stream: t.stream,
    status: outcome.status,
    reason: outcome.reason,
    promptTokens: t.promptTokens,
    completionTokens: outcome.completionTokens ?? 0,
    admissionCost: t.admissionCost,
    priority: headers.get('x-priority'),
    subscription: headers.get('x-subscription-id') ?? headers.get('x-apim-subscription-id'),
    subscriptionKeyFingerprint: key ? createHash('sha256').update(key).digest('hex').slice(0, 12) : null,
    auth,
    correlationId: headers.get('x-correlation-id') ?? headers.get('x-ms-correlation-request-id') ?? headers.get('x-ms-client-request-id'),
    requestId: t.requestId,
    apiVersion: t.apiVersion,
  };
  // Only on requests a fault touched, so that the usual record keeps its shape.
  if (t.faults !== undefined) entry.faults = t.faults;
  runtime.ledger.append(entry);
}

async function handleModelRequest(runtime: ResourceRuntime, operation: Operation, request: Request, deploymentName: string): Promise<Response> {
  const { resource, clock } = runtime;
  const apiVersion = apiVersionOf(request.url);
  const t: Tracking = {
    start: clock.now(),
    requestId: randomUUID(),
    deployment: deploymentName,
    operation,
    stream: false,
    promptTokens: 0,
    admissionCost: 0,
    request,
    apiVersion,
    faults: undefined,
  };
  const headers = baseResponseHeaders({ backend: resource.name, region: resource.region, requestId: t.requestId, clientRequestId: request.headers.get('x-ms-client-request-id') });
  // Only a deployment the resource hosts is named back; the topology allows only header-safe names.
  if (runtime.deployments.has(deploymentName)) headers['x-ms-deployment-name'] = deploymentName;
  const fail = (error: AzureError, reason: LedgerReason): Response => {
    record(runtime, t, { status: error.status, reason });
    return errorResponse(error, headers);
  };

  try {
    const fired = runtime.faults.firing({ backend: resource.name, region: resource.region, deployment: deploymentName }, runtime.rng);
    if (fired.length > 0) t.faults = fired.map((rule) => rule.id);
    // No fault fired (the usual case): nothing to wait for, so no turn of the microtask queue.
    const faultEffect = fired.length === 0 ? noFaults : await applyRequestFaults(fired, request.signal);
    if (faultEffect.kind === 'reset') {
      record(runtime, t, { status: 0, reason: 'fault:reset', firstByte: null });
      return Response.error();
    }
    if (faultEffect.kind === 'status') {
      return fail(azureErrors.injectedStatus(faultEffect.rule.status ?? 500, faultEffect.rule.retryAfterSeconds), 'fault:status');
    }

    if (!apiVersion) return fail(azureErrors.missingApiVersion(), 'not-found');
    if (!isServedApiVersion(apiVersion)) return fail(azureErrors.unsupportedApiVersion(), 'not-found');
    if (!isAuthorized(request.headers, resource.apiKeys)) return fail(azureErrors.unauthorized(), 'unauthorized');
    const deployment = runtime.deployments.get(deploymentName);
    if (!deployment) return fail(azureErrors.deploymentNotFound(), 'not-found');
    const contentType = request.headers.get('content-type');
    if (!contentType || !/^application\/json\b/i.test(contentType)) return fail(azureErrors.unsupportedMediaType(contentType), 'bad-request');
    const text = await request.text();
    const notSupported = (): Response => fail(azureErrors.operationNotSupported(operationNames[operation].display, deployment.config.model), 'bad-request');
    const answer: AnswerContext = { runtime, deployment, t, headers, fail, faults: faultEffect, apiVersion };
    if (operation === 'embeddings') {
      const body = parseJsonBody(text);
      if (!body.ok) return fail(body.error, 'bad-request');
      if (!deployment.model.operations.includes(operation)) return notSupported();
      return await answerEmbeddings(answer, body.value);
    }
    // Analysed whole before the operation check, which must come after the JSON check: a body
    // sent to an operation the model lacks is counted for nothing, a cost only bad input pays.
    const analysis = analyzeCompletionBody(text, operation, deployment.config.model);
    if (!analysis.ok && analysis.stage === 'json') return fail(analysis.error, 'bad-request');
    if (!deployment.model.operations.includes(operation)) return notSupported();
    if (!analysis.ok) return fail(analysis.error, 'bad-request');
    return await answerCompletion(answer, operation, analysis.facts);
  } catch (error) {
    if (request.signal.aborted) {
      // The client gave up (or a hang fault held it) before an answer went out.
      record(runtime, t, { status: 499, reason: t.admissionCost === 0 && isHangError(error) ? 'fault:hang' : 'client-closed', firstByte: null });
      return Response.error();
    }
    throw error;
  }
}

class HangAborted extends Error {}
function isHangError(error: unknown): boolean {
  return error instanceof HangAborted;
}

type FaultEffect =
  | { kind: 'reset' }
  | { kind: 'status'; rule: FaultRule }
  | { kind: 'proceed'; extraPerTokenMs: number; cutAfterTokens: number | null; cutMode: 'reset' | 'close' };

const noFaults: Extract<FaultEffect, { kind: 'proceed' }> = Object.freeze({ kind: 'proceed', extraPerTokenMs: 0, cutAfterTokens: null, cutMode: 'reset' });

/**
 * abortableSleep, or nothing at all when there is nothing to wait for: no delay and a client
 * still there (zero modelled latency). Awaiting even a settled promise costs a turn of the
 * microtask queue per await, a visible share of a request at zero latency; an aborted signal
 * still rejects exactly as abortableSleep(0) does.
 */
function sleepIfAny(ms: number, signal: AbortSignal): Promise<void> | undefined {
  // Written as !(ms <= 0) so that anything abortableSleep would wait on (NaN included) still waits.
  return !(ms <= 0) || signal.aborted ? abortableSleep(ms, signal) : undefined;
}

/** Applies the fired faults that act before the backend does any work. */
async function applyRequestFaults(fired: readonly FaultRule[], signal: AbortSignal): Promise<FaultEffect> {
  let extraPerTokenMs = 0;
  let cutAfterTokens: number | null = null;
  let cutMode: 'reset' | 'close' = 'reset';
  let latencyMs = 0;
  for (const rule of fired) {
    if (rule.kind === 'latency') latencyMs += rule.latencyMs ?? 0;
    if (rule.kind === 'slow-stream') extraPerTokenMs += rule.perTokenDelayMs ?? 0;
    if (rule.kind === 'truncate-stream') {
      cutAfterTokens = Math.min(cutAfterTokens ?? Number.POSITIVE_INFINITY, rule.afterTokens ?? 0);
      cutMode = rule.truncateMode ?? 'reset';
    }
  }
  if (latencyMs > 0) await abortableSleep(latencyMs, signal);
  if (fired.some((rule) => rule.kind === 'hang')) {
    await abortableSleep(Number.POSITIVE_INFINITY, signal).catch(() => {
      throw new HangAborted('hang fault released by client abort');
    });
  }
  if (fired.some((rule) => rule.kind === 'reset')) return { kind: 'reset' };
  const status = fired.find((rule) => rule.kind === 'status');
  if (status) return { kind: 'status', rule: status };
  return { kind: 'proceed', extraPerTokenMs, cutAfterTokens, cutMode };
}

function isAuthorized(headers: Headers, apiKeys: readonly string[] | undefined): boolean {
  const key = headers.get('api-key');
  // The authorization header is looked at only without an api-key, as the key wins anyway.
  const presented = key ?? /^bearer\s+(\S+)/i.exec(headers.get('authorization') ?? '')?.[1];
  if (!presented) return false;
  return apiKeys === undefined || apiKeys.includes(presented);
}

interface AnswerContext {
  runtime: ResourceRuntime;
  deployment: DeploymentRuntime;
  t: Tracking;
  headers: ResponseHeaders;
  fail: (error: AzureError, reason: LedgerReason) => Response;
  faults: Extract<FaultEffect, { kind: 'proceed' }>;
  apiVersion: string;
}

type Admission = { ok: true; ptuTicket: PtuTicket | null } | { ok: false; response: Response };

/**
 * Charges capacity. PTU: prompt + max_tokens into the leaky bucket, corrected on completion.
 * PAYG: the character-based prompt estimate + max_tokens against the per-minute quota, and
 * the request against its 10-second window; never corrected.
 */
function admit(a: AnswerContext, promptTokens: number, promptCharacters: number, maxTokens: number | undefined, operation: Operation): Admission {
  const { deployment, headers, runtime } = a;
  const names = operationNames[operation];
  if (deployment.limiter.kind === 'ptu') {
    const cost = ptuAdmissionCost(promptTokens, maxTokens ?? deployment.defaultMaxTokensEstimate, 0);
    const decision = deployment.limiter.ptu.tryAdmit(cost);
    if (deployment.utilizationHeader) headers['azure-openai-deployment-utilization'] = `${decision.utilizationPercent.toFixed(1)}%`;
    if (!decision.admitted) return { ok: false, response: a.fail(azureErrors.ptuOverUtilized(decision.retryAfterMs, names.api, a.apiVersion), 'utilization') };
    a.t.admissionCost = cost;
    return { ok: true, ptuTicket: decision.ticket };
  }
  if (deployment.capacity429Rate > 0 && deployment.rng.next() < deployment.capacity429Rate) {
    return { ok: false, response: a.fail(azureErrors.highDemand(6), 'capacity') };
  }
  const estimate = estimatePromptTokensByCharacters(promptCharacters) + (maxTokens ?? deployment.defaultMaxTokensEstimate);
  const decision = deployment.limiter.payg.tryAdmit(estimate);
  headers['x-ratelimit-limit-tokens'] = String(decision.limitTokens);
  headers['x-ratelimit-remaining-tokens'] = String(decision.remainingTokens);
  headers['x-ratelimit-limit-requests'] = String(decision.limitRequests);
  headers['x-ratelimit-remaining-requests'] = String(decision.remainingRequests);
  if (!decision.admitted) {
    const error = azureErrors.paygRateLimited({
      reason: decision.reason,
      retryAfterSeconds: decision.retryAfterSeconds,
      resetTokensSeconds: decision.resetTokensSeconds,
      resetRequestsSeconds: decision.resetRequestsSeconds,
      operationName: names.api,
      apiVersion: a.apiVersion,
      model: deployment.config.model,
      deployment: deployment.config.name,
      region: runtime.resource.region,
    });
    return { ok: false, response: a.fail(error, decision.reason) };
  }
  a.t.admissionCost = estimate;
  return { ok: true, ptuTicket: null };
}

async function answerCompletion(a: AnswerContext, operation: 'chat' | 'completions', facts: CompletionRequestFacts): Promise<Response> {
  const { runtime, deployment, t, headers } = a;
  const model = deployment.config.model;
  const { promptTokens, maxTokens, stream, includeUsage } = facts;
  t.stream = stream;
  t.promptTokens = promptTokens;

  const limit = deployment.model.contextWindow;
  const requested = promptTokens + (maxTokens ?? 0);
  if (requested > limit) return a.fail(azureErrors.contextLengthExceeded(limit, requested, promptTokens, maxTokens ?? 0), 'context-length');

  const admission = admit(a, promptTokens, facts.promptCharacters, maxTokens, operation);
  if (!admission.ok) return admission.response;
  const settle = (completion: number): void => {
    if (admission.ptuTicket && deployment.limiter.kind === 'ptu') deployment.limiter.ptu.settle(admission.ptuTicket, promptTokens + completion);
  };

  const forced = Number(t.request.headers.get(forcedCompletionTokensHeader) ?? Number.NaN);
  const room = Math.max(0, limit - promptTokens);
  const length = resolveCompletionLength({
    sampled: sampleCompletionLength(deployment.completionLength, deployment.rng),
    maxTokens: Math.min(maxTokens ?? room, room, deployment.model.maxOutputTokens),
    ...(Number.isInteger(forced) && forced >= 0 ? { forced } : {}),
  });
  const plan = planLatency(deployment.latency, length.tokens, deployment.rng, runtime.latencyScale);
  const seed = runtime.seed ^ hashString(t.requestId);
  const meta: AnswerMeta = { id: completionId(operation === 'chat' ? 'chatcmpl' : 'cmpl'), created: Math.floor(runtime.clock.now() / 1000), model };
  const use = usage(promptTokens, length.tokens);
  // Injected delays are real time: latencyScale shapes the model, not the faults.
  const extraPerTokenMs = a.faults.extraPerTokenMs;

  try {
    const waiting = sleepIfAny(plan.timeToFirstTokenMs, t.request.signal);
    if (waiting) await waiting;
  } catch (error) {
    settle(0);
    throw error;
  }

  if (!stream) {
    // A non-streamed answer takes the same total time as the stream would.
    const rest = plan.totalMs - plan.timeToFirstTokenMs + extraPerTokenMs * length.tokens;
    try {
      const waiting = sleepIfAny(rest, t.request.signal);
      if (waiting) await waiting;
    } catch (error) {
      settle(0);
      throw error;
    }
    settle(length.tokens);
    addSuccessHeaders(headers, { upstreamMs: runtime.clock.now() - t.start, stream: false });
    headers['content-type'] = 'application/json';
    record(runtime, t, { status: 200, reason: 'ok', completionTokens: length.tokens });
    const text = completionText(length.tokens, model, seed);
    const json = operation === 'chat' ? chatCompletionJson(meta, text, length.finishReason, use) : textCompletionJson(meta, text, length.finishReason, use);
    return bufferedResponse(json, { status: 200, headers });
  }

  const chunk = { meta, includeUsage };
  addSuccessHeaders(headers, { upstreamMs: runtime.clock.now() - t.start, stream: true });
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  const firstByte = runtime.clock.now();
  const body$ = timedSseStream({
    opening: operation === 'chat' ? [promptFilterFrame(), chatRoleFrame(chunk)] : [promptFilterFrame()],
    tokens: completionTokens(length.tokens, model, seed).map((piece) => (operation === 'chat' ? chatTokenFrame(chunk, piece) : textTokenFrame(chunk, piece))),
    gapsMs: plan.interTokenMs,
    extraPerTokenMs,
    closing:
      operation === 'chat'
        ? [chatFinishFrame(chunk, length.finishReason), ...(includeUsage ? [chatUsageFrame(chunk, use)] : [])]
        : [textFinishFrame(chunk, length.finishReason), ...(includeUsage ? [textUsageFrame(chunk, use)] : [])],
    cutAfterTokens: a.faults.cutAfterTokens,
    cutMode: a.faults.cutMode,
    signal: t.request.signal,
    onEnd: ({ tokensSent, outcome }) => {
      settle(tokensSent);
      const reason: LedgerReason = outcome === 'complete' ? 'ok' : outcome === 'cut' ? 'fault:truncate-stream' : 'client-closed';
      record(runtime, t, { status: 200, reason, completionTokens: tokensSent, firstByte });
    },
  });
  return new Response(body$, { status: 200, headers });
}

async function answerEmbeddings(a: AnswerContext, body: Record<string, unknown>): Promise<Response> {
  const { runtime, deployment, t, headers } = a;
  const parsed = validateEmbeddingRequest(body);
  if (!parsed.ok) return a.fail(parsed.error, 'bad-request');
  const model = deployment.config.model;
  const dimensions = resolveEmbeddingDimensions(model, parsed.value.dimensions);
  if (!dimensions.ok) return a.fail(azureErrors.invalidField(dimensions.message, 'dimensions'), 'bad-request');
  const inputs = parsed.value.inputs;
  const promptTokens = inputs.reduce((sum, input) => sum + countEmbeddingInputTokens(input, model), 0);
  t.promptTokens = promptTokens;
  if (inputs.some((input) => countEmbeddingInputTokens(input, model) > deployment.model.contextWindow)) {
    return a.fail(azureErrors.invalidField(`This model's maximum context length is ${deployment.model.contextWindow} tokens, however you requested more tokens in an input. Please reduce your prompt; or completion length.`, 'input'), 'context-length');
  }
  const admission = admit(a, promptTokens, promptCharacterCount(inputs.filter((input) => typeof input === 'string')), 0, 'embeddings');
  if (!admission.ok) return admission.response;
  const plan = planLatency(deployment.latency, 0, deployment.rng, runtime.latencyScale);
  try {
    await abortableSleep(plan.totalMs, t.request.signal);
  } finally {
    if (admission.ptuTicket && deployment.limiter.kind === 'ptu') deployment.limiter.ptu.settle(admission.ptuTicket, t.request.signal.aborted ? 0 : promptTokens);
  }
  const vectors = inputs.map((input) => encodeEmbedding(embeddingVector(input, dimensions.dimensions), parsed.value.encodingFormat));
  addSuccessHeaders(headers, { upstreamMs: runtime.clock.now() - t.start, stream: false });
  headers['content-type'] = 'application/json';
  record(runtime, t, { status: 200, reason: 'ok' });
  return bufferedResponse(JSON.stringify(embeddingsBody(model, vectors, promptTokens)), { status: 200, headers });
}

function hashString(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}
