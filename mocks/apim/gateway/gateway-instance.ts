import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../../shared/clock.ts';
import { abortableSleep } from '../../shared/abortable-sleep.ts';
import { RestartableListener } from '../../shared/restartable-listener.ts';
import type { Rng } from '../../shared/rng.ts';
import { selectBackend } from '../backends/backend-pool.ts';
import { matchApi, matchOperation } from '../config/index.ts';
import type { CapacityConfig, RegionConfig } from '../config/types.ts';
import type { ForwardRequestPolicy, SectionName } from '../policy/policy-ast.ts';
import { forwardToBackend, type ForwardOutcome } from './backend-forwarder.ts';
import { GatewayCapacity, type CapacityUsage } from './capacity-model.ts';
import type { CompiledGateway } from './compiled-gateway.ts';
import { gatewayErrors } from './gateway-errors.ts';
import type { GatewayLogSink } from './gateway-log-sink.ts';
import { InstanceState } from './instance-state.ts';
import { SseUsageTap } from './llm-usage.ts';
import { gatewayResponse, PipelineStop, PolicyExecutor, PolicyFailure, type ScopeChain } from './policy-executor.ts';
import { HeaderBag, RequestState, type GatewayResponse, type LlmUsage } from './request-state.ts';

/**
 * One gateway instance: the gateway of one region, on its own port, with its own breakers
 * and counters (APIM instances never share them) and context.Deployment.Region set to its
 * region. Health probes on /status-0123456789abcdef answer 200 while it is up.
 */
export interface GatewayInstanceOptions {
  gateway: CompiledGateway;
  region: RegionConfig;
  serviceName: string;
  clock: Clock;
  rng: Rng;
  logs: GatewayLogSink;
  /** Maps backend URLs written for Azure onto local endpoints (the fleet). */
  mapBackendUrl: (url: URL) => URL;
  capacity: CapacityConfig;
  /** Address to listen on (default 127.0.0.1); an IPv6 address bare ("::1"). */
  host?: string;
}

export interface GatewayInstance {
  readonly region: string;
  /** `http://host:port`, an IPv6 host in brackets. */
  readonly url: string;
  readonly state: InstanceState;
  readonly listening: boolean;
  /** The capacity model's work so far (capacity-model.ts CapacityUsage); null when the model is off. Read-only. */
  capacityUsage(): CapacityUsage | null;
  /** Takes the regional gateway down (connections refused) and back up, for failover drills. */
  stopListening(): Promise<void>;
  resumeListening(): Promise<void>;
  close(): Promise<void>;
}

export const healthPath = '/status-0123456789abcdef';
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length', 'expect']);

export async function startGatewayInstance(options: GatewayInstanceOptions): Promise<GatewayInstance> {
  const { gateway, region, clock, logs } = options;
  const instance = new InstanceState({
    region: region.name,
    clock,
    rng: options.rng,
    backends: gateway.config.backends,
    onBreakerEvent: (event) => logs.breakerEvent(event, region.name),
  });
  const capacity = options.capacity.enabled ? new GatewayCapacity({ units: region.units, ...options.capacity }, clock) : null;
  const executor = new PolicyExecutor({
    instance,
    forward: (state, node, section, scope) => forward(state, node, section, scope),
    emitTokenMetric: ({ namespace, dimensions, usage }) => {
      const timestamp = new Date(clock.now()).toISOString();
      for (const [name, value] of [
        ['Prompt Tokens', usage.promptTokens],
        ['Completion Tokens', usage.completionTokens],
        ['Total Tokens', usage.promptTokens + usage.completionTokens],
      ] as const) {
        logs.metric({ timestamp, name, value, namespace, customDimensions: dimensions });
      }
    },
  });
  // Closed breaker events are emitted lazily; polling keeps the event log timely.
  const breakerPoll = setInterval(() => instance.pollBreakers(), 250);
  breakerPoll.unref();

  // `scope` is the policy scope (global, product, api, operation) whose forward-request runs:
  // context.LastError.Scope names one of those, never a section.
  async function forward(state: RequestState, node: ForwardRequestPolicy | null, section: SectionName, scope: string): Promise<void> {
    if (state.response?.body.kind === 'stream') state.response.body.outcome.stream.destroy();
    const timeoutMs = node ? timeoutOf(node, state) : 300_000;
    let base: string | undefined;
    let breakerId: string | null = null;
    const target = state.target;
    if (target.backendId) {
      const backend = gateway.config.backends.get(target.backendId);
      if (!backend) throw new PolicyFailure({ source: 'set-backend-service', reason: 'BackendNotFound', message: `Backend with id '${target.backendId}' could not be found.`, section, scope });
      if (backend.type === 'Pool') {
        const pick = selectBackend(backend.members, (id) => instance.isTripped(id), instance.rng);
        if (typeof pick !== 'string') {
          // Every member tripped: APIM answers 503 [DOC BK]; retry policies see it as a response.
          state.log.backendId = backend.id;
          state.response = gatewayResponse(gatewayErrors.poolExhausted());
          state.invalidate();
          return;
        }
        const member = gateway.config.backends.get(pick);
        if (!member || member.type !== 'Single') throw new PolicyFailure({ source: 'forward-request', reason: 'BackendNotFound', message: `Pool member '${pick}' is not a single backend.`, section, scope });
        base = member.url;
        breakerId = member.id;
      } else {
        if (instance.isTripped(backend.id)) {
          state.log.backendId = backend.id;
          state.response = gatewayResponse(gatewayErrors.poolExhausted());
          state.invalidate();
          return;
        }
        base = backend.url;
        breakerId = backend.id;
      }
    } else {
      base = target.baseUrl ?? state.facts.api.serviceUrl;
    }
    if (!base) throw new PolicyFailure({ source: 'forward-request', reason: 'BackendNotFound', message: 'No backend service URL: set serviceUrl on the API or use set-backend-service.', section, scope });

    const configured = new URL(`${base.replace(/\/+$/, '')}${state.backendPath}${state.backendQuery.size > 0 ? `?${state.backendQuery.toString()}` : ''}`);
    const headers = state.requestHeaders.toFlatList(hopByHop);
    state.log.attempts++;
    state.log.backendId = breakerId;
    state.log.backendUrl = configured.toString();
    const outcome = await forwardToBackend({
      url: options.mapBackendUrl(configured),
      method: state.method,
      headers,
      body: state.method === 'GET' || state.method === 'HEAD' ? null : state.requestBody,
      timeoutMs,
      signal: state.signal,
    });
    state.log.backendTimeMs += outcome.backendTimeMs;
    const breaker = breakerId ? instance.breaker(breakerId) : undefined;
    if (outcome.kind === 'failed') {
      if (outcome.reason !== 'ClientConnectionFailure') breaker?.recordConnectionFailure();
      throw new PolicyFailure({
        source: 'forward-request',
        reason: outcome.reason,
        message: outcome.message,
        section,
        scope,
        defaultError: outcome.reason === 'Timeout' ? gatewayErrors.backendTimeout() : gatewayErrors.internal(),
      });
    }
    const retryAfter = outcome.headers['retry-after'];
    breaker?.recordResponse(outcome.status, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    state.log.backendResponseCode = outcome.status;
    state.response = responseFrom(outcome);
    state.invalidate();
    if (node?.failOnErrorStatusCode && outcome.status >= 400) {
      throw new PolicyFailure({ source: 'forward-request', reason: 'BackendErrorStatusCode', message: `Backend answered ${outcome.status}.`, section, scope });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'gateway'}`);
    if (url.pathname === healthPath) {
      res.writeHead(200, { 'content-length': '0' }).end();
      return;
    }
    // TotalTime (and context.Elapsed) run from the first byte the gateway received to the
    // last byte sent, so time spent waiting in the capacity queue counts.
    const received = clock.now();
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const body = await readBody(req);
    if (capacity) {
      const decision = capacity.admit();
      if (decision.kind === 'drop') {
        // An overloaded gateway drops connections; it does not answer 429 [research §6].
        req.socket.resetAndDestroy();
        return;
      }
      if (decision.waitMs > 0) await abortableSleep(decision.waitMs, abort.signal).catch(() => undefined);
      if (abort.signal.aborted) return;
    }
    const requestId = randomUUID();
    const callerIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const apiMatch = matchApi(gateway.config.apis, url.pathname);
    const early = (error: ReturnType<typeof gatewayErrors.noApi>, facts: { apiId?: string; operationId?: string; subscriptionId?: string; productId?: string }): void => {
      const response = gatewayResponse(error);
      writeBuffered(res, response, new HeaderBag());
      logs.gateway(gatewayLogRow({ requestId, now: clock.now(), started: received, region: region.name, method: req.method ?? 'GET', url, callerIp, status: response.status, requestSize: body.length, responseSize: bodySize(response), ...facts }));
    };
    if (!apiMatch) return early(gatewayErrors.noApi(), {});
    const { api } = apiMatch;
    const keyNames = api.subscriptionKeyParameterNames;
    const presentedKey = (req.headers[keyNames.header.toLowerCase()] as string | undefined) ?? url.searchParams.get(keyNames.query) ?? null;
    let subscription = presentedKey ? gateway.subscriptionByKey(presentedKey) : undefined;
    let product = null;
    if (subscription) {
      const access = gateway.productFor(subscription, api);
      if (!access.allowed || subscription.state !== 'active') subscription = undefined;
      else product = access.product;
    }
    if (api.subscriptionRequired && !subscription) return early(presentedKey ? gatewayErrors.invalidKey() : gatewayErrors.missingKey(), { apiId: api.id });
    const operationMatch = matchOperation(api, req.method ?? 'GET', apiMatch.pathAfterApiPath);
    if (!operationMatch) return early(gatewayErrors.noOperation(), { apiId: api.id, ...(subscription ? { subscriptionId: subscription.id } : {}) });

    const headers = HeaderBag.from(req.headers);
    const state = new RequestState({
      requestId,
      clock,
      started: received,
      facts: { region: region.name, serviceName: options.serviceName, api, operation: operationMatch.operation, product, subscription: subscription ?? null, presentedKey, callerIp },
      method: req.method ?? 'GET',
      url,
      backendPath: apiMatch.pathAfterApiPath.split('?')[0] ?? '/',
      headers,
      body,
      signal: abort.signal,
    });
    state.templateParameters = new Map(Object.entries(operationMatch.parameters));
    const chain = gateway.chainFor(api, operationMatch.operation, product);
    await runPipeline(state, chain);
    for (const after of state.afterPipeline) after();
    const response = state.response ?? gatewayResponse(gatewayErrors.internal());
    await send(res, state, response);
  }

  async function runPipeline(state: RequestState, chain: ScopeChain): Promise<void> {
    try {
      await executor.runSection('inbound', chain, state);
      const backend = await executor.runSection('backend', chain, state);
      // APIM's service policy forwards by default; a chain with no forward-request at all
      // behaves as that default (documented choice).
      if (!backend.forwarded && !state.response) await forward(state, null, 'backend', 'global');
      // tokens-consumed-variable-name is "updated with the reported count in outbound" [DOC LTL]:
      // a buffered answer's usage is known before outbound runs (a stream's only after).
      if (state.usageVariables.length > 0 && state.response?.body.kind === 'buffer' && state.response.status >= 200 && state.response.status < 300) {
        const reported = state.answerUsage(state.response.body.bytes);
        if (reported) for (const name of state.usageVariables) state.variables.set(name, reported.promptTokens + reported.completionTokens);
      }
      await executor.runSection('outbound', chain, state);
    } catch (error) {
      if (error instanceof PipelineStop) {
        state.response = error.response;
        // Expressions evaluated after the pipeline (increment-condition) must see this answer.
        state.invalidate();
        return;
      }
      const failure =
        error instanceof PolicyFailure
          ? error
          : new PolicyFailure({ source: 'gateway', reason: 'InternalError', message: error instanceof Error ? error.message : String(error), section: 'inbound', scope: 'global' });
      state.lastError = { source: failure.source, reason: failure.reason, message: failure.message, scope: failure.scope, section: failure.section, path: '', policyId: failure.policyId };
      Object.assign(state.log, {
        lastErrorReason: failure.reason,
        lastErrorMessage: failure.message,
        lastErrorSource: failure.source,
        lastErrorSection: failure.section,
        lastErrorScope: failure.scope,
        lastErrorElapsed: state.elapsedMs,
      });
      const before = state.response;
      state.response = null;
      state.invalidate();
      try {
        await executor.runSection('on-error', chain, state);
      } catch (inner) {
        if (inner instanceof PipelineStop) {
          state.response = inner.response;
          state.invalidate();
          return;
        }
        // A failure inside on-error ends with the default answer.
      }
      if (!state.response) {
        state.response = before && failure.reason === 'BackendErrorStatusCode' ? before : gatewayResponse(failure.defaultError);
        state.invalidate();
      }
    }
  }

  async function send(res: ServerResponse, state: RequestState, response: GatewayResponse): Promise<void> {
    let usage: LlmUsage | null = null;
    let responseSize = bodySize(response);
    if (response.body.kind === 'buffer') {
      if (response.status >= 200 && response.status < 300) usage = state.answerUsage(response.body.bytes);
      for (const name of state.usageHeaders) if (usage) state.responseHeaderAdditions.set(name, [String(usage.promptTokens + usage.completionTokens)]);
      writeBuffered(res, response, state.responseHeaderAdditions);
    } else {
      ({ usage, bytes: responseSize } = await pipeStream(res, state, response));
    }
    for (const name of state.usageVariables) if (usage) state.variables.set(name, usage.promptTokens + usage.completionTokens);
    for (const after of state.afterResponse) after(usage);
    for (const after of state.afterResponseBytes) after(state.receivedBytes + responseSize);
    const now = clock.now();
    logs.gateway(
      gatewayLogRow({
        requestId: state.requestId,
        now,
        started: state.started,
        region: region.name,
        method: state.method,
        url: state.originalUrl,
        callerIp: state.facts.callerIp,
        status: res.destroyed && !res.writableFinished ? 0 : response.status,
        requestSize: state.receivedBytes,
        responseSize,
        apiId: state.facts.api.id,
        operationId: state.facts.operation.id,
        ...(state.facts.product ? { productId: state.facts.product.id } : {}),
        ...(state.facts.subscription ? { subscriptionId: state.facts.subscription.id } : {}),
        log: state.log,
      }),
    );
    if (usage) {
      const deployment = state.templateParameters.get('deployment-id') ?? state.templateParameters.get('deployment') ?? null;
      logs.llm({
        TimeGenerated: new Date(state.started).toISOString(),
        CorrelationId: state.requestId,
        Region: region.name,
        RequestId: state.requestId,
        ApiVersion: state.backendQuery.get('api-version'),
        OperationName: state.facts.operation.id,
        DeploymentName: deployment,
        ModelName: usage.model,
        PromptTokens: usage.promptTokens,
        CompletionTokens: usage.completionTokens,
        TotalTokens: usage.promptTokens + usage.completionTokens,
        IsStreamCompletion: usage.stream,
        SequenceNumber: 0,
        Category: 'GatewayLlmLogs',
        Type: 'ApiManagementGatewayLlmLog',
      });
    }
  }

  /** Passes an event stream through as it arrives, watching it for token usage. */
  async function pipeStream(res: ServerResponse, state: RequestState, response: GatewayResponse): Promise<{ usage: LlmUsage; bytes: number }> {
    const outcome = (response.body as Extract<GatewayResponse['body'], { kind: 'stream' }>).outcome;
    const estimate = state.promptEstimate();
    const tap = new SseUsageTap(estimate?.tokens ?? 0, estimate?.model ?? 'gpt-4o');
    const headers = mergeHeaders(response.headers, state.responseHeaderAdditions);
    res.writeHead(response.status, response.reason, headers);
    res.flushHeaders();
    let bytes = 0;
    await new Promise<void>((resolve) => {
      const stream = outcome.stream;
      stream.on('data', (chunk: Buffer) => {
        tap.push(chunk);
        bytes += chunk.length;
        res.write(chunk);
      });
      stream.on('end', () => {
        res.end();
        resolve();
      });
      const broken = (): void => {
        // The backend cut the stream: the client sees the cut too.
        res.socket?.resetAndDestroy();
        resolve();
      };
      stream.on('aborted', broken);
      stream.on('error', broken);
      res.on('close', () => {
        if (!res.writableFinished) stream.destroy();
        resolve();
      });
    });
    return { usage: tap.result(), bytes };
  }

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void handle(req, res).catch((error: unknown) => {
      process.stderr.write(`gateway ${region.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"statusCode":500,"message":"Internal server error"}');
      else res.destroy();
    });
  });
  let listener: RestartableListener;
  try {
    listener = await RestartableListener.listen(server, { host: options.host ?? '127.0.0.1', port: region.port ?? 0 });
  } catch (error) {
    // Nothing left running when the port cannot be had.
    clearInterval(breakerPoll);
    throw error;
  }

  return {
    region: region.name,
    url: listener.origin,
    state: instance,
    get listening() {
      return listener.listening;
    },
    capacityUsage: () => capacity?.usage() ?? null,
    stopListening: () => listener.stop(),
    resumeListening: () => listener.resume(),
    async close() {
      clearInterval(breakerPoll);
      await listener.close();
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function timeoutOf(node: ForwardRequestPolicy, state: RequestState): number {
  const raw = node.timeout.kind === 'literal' ? node.timeout.value : Number(node.timeout.expression.evaluate(state.view()));
  return node.timeoutUnit === 'seconds' ? raw * 1000 : raw;
}

function responseFrom(outcome: Exclude<ForwardOutcome, { kind: 'failed' }>): GatewayResponse {
  const headers = new HeaderBag();
  for (const [name, value] of Object.entries(outcome.headers)) {
    if (value === undefined || hopByHop.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value : [value]);
  }
  const reason = STATUS_CODES[outcome.status] ?? '';
  return outcome.kind === 'buffered'
    ? { status: outcome.status, reason, headers, body: { kind: 'buffer', bytes: outcome.body } }
    : { status: outcome.status, reason, headers, body: { kind: 'stream', outcome } };
}

function mergeHeaders(headers: HeaderBag, additions: HeaderBag): Record<string, string | string[]> {
  return { ...headers.toOutgoing(), ...additions.toOutgoing() };
}

function writeBuffered(res: ServerResponse, response: GatewayResponse, additions: HeaderBag): void {
  const bytes = response.body.kind === 'buffer' ? response.body.bytes : Buffer.alloc(0);
  const headers = mergeHeaders(response.headers, additions);
  headers['content-length'] = String(bytes.length);
  res.writeHead(response.status, response.reason || STATUS_CODES[response.status] || '', headers).end(bytes);
}

function bodySize(response: GatewayResponse): number {
  return response.body.kind === 'buffer' ? response.body.bytes.length : 0;
}

interface LogRowArgs {
  requestId: string;
  now: number;
  started: number;
  region: string;
  method: string;
  url: URL;
  callerIp: string;
  status: number;
  requestSize: number;
  responseSize: number;
  apiId?: string;
  operationId?: string;
  productId?: string;
  subscriptionId?: string;
  log?: RequestState['log'];
}

function gatewayLogRow(args: LogRowArgs): import('./gateway-log-schema.ts').GatewayLogRow {
  const log = args.log;
  return {
    TimeGenerated: new Date(args.started).toISOString(),
    CorrelationId: args.requestId,
    Region: args.region,
    ApiId: args.apiId ?? null,
    ApiRevision: args.apiId ? '1' : null,
    OperationId: args.operationId ?? null,
    OperationName: args.operationId ?? null,
    ProductId: args.productId ?? null,
    ApimSubscriptionId: args.subscriptionId ?? null,
    UserId: null,
    BackendId: log?.backendId ?? null,
    BackendUrl: log?.backendUrl ?? null,
    BackendMethod: log?.backendUrl ? args.method : null,
    BackendProtocol: log?.backendUrl ? 'HTTP/1.1' : null,
    BackendResponseCode: log?.backendResponseCode ?? null,
    BackendTime: log?.backendUrl ? log.backendTimeMs : null,
    ResponseCode: args.status,
    ResponseSize: args.responseSize,
    RequestSize: args.requestSize,
    TotalTime: args.now - args.started,
    ClientTime: 0,
    IsRequestSuccess: args.status >= 200 && args.status < 400,
    LastErrorReason: log?.lastErrorReason ?? null,
    LastErrorMessage: log?.lastErrorMessage ?? null,
    LastErrorSource: log?.lastErrorSource ?? null,
    LastErrorSection: log?.lastErrorSection ?? null,
    LastErrorScope: log?.lastErrorScope ?? null,
    LastErrorElapsed: log?.lastErrorElapsed ?? null,
    Method: args.method,
    Url: args.url.toString(),
    Cache: 'none',
    CallerIpAddress: args.callerIp,
    ClientProtocol: 'HTTP/1.1',
    Errors: null,
    TraceRecords: null,
    Category: 'GatewayLogs',
    Type: 'ApiManagementGatewayLogs',
  };
}
