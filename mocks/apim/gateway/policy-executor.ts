import { formatValue } from '../expressions/index.ts';
import type {
  CheckHeaderPolicy,
  CompiledPolicy,
  EmitTokenMetricPolicy,
  ForwardRequestPolicy,
  IpFilterPolicy,
  PolicyNode,
  PolicyValue,
  QuotaByKeyPolicy,
  RateLimitByKeyPolicy,
  RetryPolicy,
  ReturnResponsePolicy,
  RewriteUriPolicy,
  SectionName,
  SetBodyPolicy,
  SetHeaderPolicy,
  SetStatusPolicy,
  TokenLimitPolicy,
} from '../policy/policy-ast.ts';
import { abortableSleep } from '../../shared/abortable-sleep.ts';
import { gatewayErrorBody, gatewayErrors, type GatewayError } from './gateway-errors.ts';
import type { InstanceState } from './instance-state.ts';
import { ipAllowed } from './ip-filter.ts';
import { HeaderBag, type GatewayResponse, type LlmUsage, type RequestState } from './request-state.ts';
import { validateJwt } from './validate-jwt.ts';

/**
 * Runs compiled policies against one request. Each section runs the most specific scope's
 * nodes; `<base/>` runs the next scope up (operation → API → product → global) at that point,
 * and a scope without a policy for the section behaves as if it held only `<base/>`.
 *
 * Two things stop a section early: a policy that answers the caller itself (return-response,
 * a limit's 429 or 403, a failed check) throws PipelineStop, which skips the rest of the
 * pipeline; any other failure throws PolicyFailure, which the gateway turns into on-error with
 * context.LastError set.
 */
export class PipelineStop {
  readonly response: GatewayResponse;
  constructor(response: GatewayResponse) {
    this.response = response;
  }
}

export class PolicyFailure extends Error {
  readonly source: string;
  readonly reason: string;
  readonly section: SectionName;
  readonly scope: string;
  readonly policyId: string;
  /** What the caller gets when on-error does not answer. */
  readonly defaultError: GatewayError;
  constructor(args: { source: string; reason: string; message: string; section: SectionName; scope: string; policyId?: string; defaultError?: GatewayError }) {
    super(args.message);
    this.source = args.source;
    this.reason = args.reason;
    this.section = args.section;
    this.scope = args.scope;
    this.policyId = args.policyId ?? '';
    this.defaultError = args.defaultError ?? gatewayErrors.internal();
  }
}

export interface ExecutorDeps {
  instance: InstanceState;
  /** Sends the request to the selected backend, as forward-request does; sets state.response. */
  forward: (state: RequestState, node: ForwardRequestPolicy | null, section: SectionName, scope: string) => Promise<void>;
  /** Records token metrics once usage is known. */
  emitTokenMetric: (metric: { namespace: string; dimensions: Record<string, string>; usage: LlmUsage }) => void;
}

/** The policy documents that apply to a request, most general first. */
export type ScopeChain = readonly { scope: string; policy: CompiledPolicy | null }[];

export function gatewayResponse(error: GatewayError, extraHeaders: Record<string, string> = {}): GatewayResponse {
  const headers = new HeaderBag();
  headers.set('Content-Type', ['application/json']);
  for (const [name, value] of Object.entries({ ...error.headers, ...extraHeaders })) headers.set(name, [value]);
  return { status: error.status, reason: error.reason, headers, body: { kind: 'buffer', bytes: gatewayErrorBody(error) } };
}

export class PolicyExecutor {
  readonly #deps: ExecutorDeps;
  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  /** Runs a section across the scope chain. Returns whether a forward-request ran. */
  async runSection(section: SectionName, chain: ScopeChain, state: RequestState): Promise<{ forwarded: boolean }> {
    const run = { forwarded: false };
    await this.#runLevel(section, chain, chain.length - 1, state, run);
    return run;
  }

  // The walk below is synchronous until a policy actually waits (forward-request, a retry's
  // pause): each step returns a promise only then, and undefined otherwise. Most policies never
  // wait, and making every step async cost a promise and a microtask hop per policy per request.

  #runLevel(section: SectionName, chain: ScopeChain, level: number, state: RequestState, run: { forwarded: boolean }): Promise<void> | undefined {
    if (level < 0) return undefined;
    const nodes = chain[level]!.policy?.sections[section] ?? null;
    if (nodes === null) return this.#runLevel(section, chain, level - 1, state, run);
    return this.#runNodes(nodes, { section, chain, level, state, run });
  }

  /** Runs `nodes` from `from` on; once one of them waits, the rest run after it. */
  #runNodes(nodes: readonly PolicyNode[], at: Position, from = 0): Promise<void> | undefined {
    for (let i = from; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (at.state.signal.aborted) throw new PolicyFailure({ source: node.kind, reason: 'ClientConnectionFailure', message: 'The client closed the connection.', section: at.section, scope: at.chain[at.level]!.scope });
      const pending = this.#runNode(node, at);
      if (pending) return pending.then(() => this.#runNodes(nodes, at, i + 1));
    }
    return undefined;
  }

  /** Runs one policy; a failure, thrown or rejected, becomes a PolicyFailure of that policy. */
  #runNode(node: PolicyNode, at: Position): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    try {
      pending = this.#execute(node, at);
    } catch (error) {
      throw policyFailureOf(error, node, at);
    }
    return pending?.catch((error: unknown) => {
      throw policyFailureOf(error, node, at);
    });
  }

  #execute(node: PolicyNode, at: Position): Promise<void> | undefined {
    const { state } = at;
    switch (node.kind) {
      case 'base':
        return this.#runLevel(at.section, at.chain, at.level - 1, state, at.run);
      case 'choose': {
        for (const clause of node.when) {
          if (this.#value(clause.condition, at) === true) return this.#runNodes(clause.policies, at);
        }
        return node.otherwise ? this.#runNodes(node.otherwise, at) : undefined;
      }
      case 'set-variable':
        state.variables.set(node.name, node.value.kind === 'literal' ? node.value.text : node.value.expression.evaluate(state.view()));
        return;
      case 'set-header':
      case 'set-query-parameter':
        this.#setHeader(node, at);
        return;
      case 'set-backend-service':
        state.target = node.backendId ? { backendId: this.#string(node.backendId, at), baseUrl: null } : { backendId: null, baseUrl: this.#string(node.baseUrl!, at) };
        return;
      case 'rewrite-uri':
        this.#rewriteUri(node, at);
        return;
      case 'forward-request':
        at.run.forwarded = true;
        return this.#deps.forward(state, node, at.section, at.chain[at.level]!.scope);
      case 'retry':
        return this.#retry(node, at);
      case 'rate-limit-by-key':
        this.#rateLimit(node, at);
        return;
      case 'quota-by-key':
        this.#quota(node, at);
        return;
      case 'llm-token-limit':
      case 'azure-openai-token-limit':
        this.#tokenLimit(node, at);
        return;
      case 'return-response':
        throw new PipelineStop(this.#returnResponse(node, at));
      case 'set-status':
        this.#setStatus(node, at);
        return;
      case 'set-body':
        this.#setBody(node, at);
        return;
      case 'check-header':
        this.#checkHeader(node, at);
        return;
      case 'ip-filter':
        this.#ipFilter(node, at);
        return;
      case 'validate-jwt': {
        const outcome = validateJwt(node, state, (value) => this.#string(value, at), (value) => this.#value(value, at));
        if (!outcome.ok) throw new PipelineStop(gatewayResponse({ status: outcome.status, reason: 'Unauthorized', message: outcome.message }));
        return;
      }
      case 'authentication-managed-identity': {
        // No token is fetched: the emulator records the call and presents a recognisable stand-in.
        const resource = this.#string(node.resource, at);
        const token = `emulator-managed-identity-token;resource=${resource}`;
        if (node.outputTokenVariableName) state.variables.set(node.outputTokenVariableName, token);
        else state.requestHeaders.set('Authorization', [`Bearer ${token}`]);
        state.invalidate();
        return;
      }
      case 'llm-emit-token-metric':
      case 'azure-openai-emit-token-metric':
        this.#recordMetric(node, at);
        return;
    }
    return undefined;
  }

  #value<T>(value: PolicyValue<T>, at: Position): T | unknown {
    return value.kind === 'literal' ? value.value : value.expression.evaluate(at.state.view());
  }

  #string(value: PolicyValue<unknown>, at: Position): string {
    return value.kind === 'literal' ? value.text : formatValue(value.expression.evaluate(at.state.view()));
  }

  #number(value: PolicyValue<number>, at: Position, what: string): number {
    const raw = this.#value(value, at);
    const number = typeof raw === 'number' ? raw : Number(formatValue(raw));
    if (!Number.isFinite(number)) throw new Error(`${what} must be a number, got ${formatValue(raw)}`);
    return number;
  }

  #bool(value: PolicyValue<boolean>, at: Position): boolean {
    const raw = this.#value(value, at);
    return raw === true || (typeof raw === 'string' && raw.toLowerCase() === 'true');
  }

  #setHeader(node: SetHeaderPolicy, at: Position): void {
    const { state } = at;
    const name = this.#string(node.name, at);
    const action = this.#string(node.existsAction, at).toLowerCase();
    const values = node.values.map((value) => this.#string(value, at));
    if (node.kind === 'set-query-parameter') {
      const query = state.backendQuery;
      if (action === 'delete') query.delete(name);
      else if (action === 'skip' && query.has(name)) return;
      else if (action === 'append') for (const value of values) query.append(name, value);
      else {
        query.delete(name);
        for (const value of values) query.append(name, value);
      }
      state.invalidate();
      return;
    }
    const onResponse = at.section === 'outbound' || at.section === 'on-error';
    const bag = onResponse ? (state.response?.headers ?? state.responseHeaderAdditions) : state.requestHeaders;
    if (action === 'delete') bag.delete(name);
    else if (action === 'skip' && bag.has(name)) return;
    else if (action === 'append') bag.append(name, values);
    else if (action === 'skip' || action === 'override') bag.set(name, values);
    else throw new Error(`exists-action "${action}" is not one of override, skip, append, delete`);
    state.invalidate();
  }

  #rewriteUri(node: RewriteUriPolicy, at: Position): void {
    const { state } = at;
    const template = this.#string(node.template, at);
    const parameters = state.templateParameters;
    const filled = template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(parameters.get(name) ?? state.backendQuery.get(name) ?? ''));
    const [path, query = ''] = filled.split('?', 2) as [string, string?];
    const rewritten = new URLSearchParams(query);
    if (node.copyUnmatchedParams) {
      const used = new Set([...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
      for (const [name, value] of state.backendQuery) if (!used.has(name) && !rewritten.has(name)) rewritten.append(name, value);
    }
    state.backendPath = path.startsWith('/') ? path : `/${path}`;
    state.backendQuery = rewritten;
    state.invalidate();
  }

  /**
   * retry: the children run once; then, while the condition holds and fewer than `count`
   * retries happened, wait and run them again. Waits [DOC RTY]: interval only → fixed;
   * + delta → linear (interval + (n-1)·delta); + max-interval → exponential
   * (interval + (2^n - 1)·random(0.8·delta, 1.2·delta)), capped at max-interval.
   */
  async #retry(node: RetryPolicy, at: Position): Promise<void> {
    const count = this.#number(node.count, at, 'retry count');
    if (count < 1 || count > 50) throw new Error(`retry count must be from 1 to 50, got ${count}`);
    const interval = this.#number(node.interval, at, 'retry interval');
    const delta = node.delta ? this.#number(node.delta, at, 'retry delta') : null;
    const maxInterval = node.maxInterval ? this.#number(node.maxInterval, at, 'retry max-interval') : null;
    const firstFast = this.#bool(node.firstFastRetry, at);
    await this.#runNodes(node.policies, at);
    for (let retry = 1; retry <= count; retry++) {
      if (!this.#bool(node.condition, at)) return;
      let waitSeconds = interval;
      if (delta !== null && maxInterval === null) waitSeconds = interval + (retry - 1) * delta;
      if (delta !== null && maxInterval !== null) {
        const jitter = delta * (0.8 + 0.4 * this.#deps.instance.rng.next());
        waitSeconds = Math.min(maxInterval, interval + (2 ** retry - 1) * jitter);
      }
      if (retry === 1 && firstFast) waitSeconds = 0;
      if (waitSeconds > 0) await abortableSleep(waitSeconds * 1000, at.state.signal);
      await this.#runNodes(node.policies, at);
    }
  }

  #rateLimit(node: RateLimitByKeyPolicy, at: Position): void {
    const { state } = at;
    const calls = this.#number(node.calls, at, 'calls');
    const period = this.#number(node.renewalPeriod, at, 'renewal-period');
    const key = this.#string(node.counterKey, at);
    const incrementCount = this.#number(node.incrementCount, at, 'increment-count');
    const limiter = this.#deps.instance.rateLimit(calls, period);
    // With an expression increment-condition (or -count), APIM counts at the end of outbound,
    // so the 429 arrives one call late [DOC RLK].
    const deferred = node.incrementCondition?.kind === 'expression' || node.incrementCount.kind === 'expression';
    let decision;
    if (deferred) {
      decision = limiter.check(key);
      if (decision.allowed) {
        const condition = node.incrementCondition;
        state.afterPipeline.push(() => {
          if (!condition || this.#bool(condition, at)) limiter.increment(key, incrementCount);
        });
      }
    } else if (node.incrementCondition && !this.#bool(node.incrementCondition, at)) {
      decision = limiter.check(key);
    } else {
      decision = limiter.tryIncrement(key, incrementCount);
    }
    if (node.remainingCallsVariableName) state.variables.set(node.remainingCallsVariableName, decision.remaining);
    if (node.remainingCallsHeaderName) state.responseHeaderAdditions.set(node.remainingCallsHeaderName, [String(decision.remaining)]);
    if (node.totalCallsHeaderName) state.responseHeaderAdditions.set(node.totalCallsHeaderName, [String(calls)]);
    if (!decision.allowed) {
      if (node.retryAfterVariableName) state.variables.set(node.retryAfterVariableName, decision.retryAfterSeconds);
      state.markLimited('RateLimitExceeded', 'rate-limit-by-key', at.section, at.chain[at.level]!.scope);
      throw new PipelineStop(gatewayResponse(gatewayErrors.rateLimited(decision.retryAfterSeconds), { [node.retryAfterHeaderName]: String(decision.retryAfterSeconds) }));
    }
  }

  #quota(node: QuotaByKeyPolicy, at: Position): void {
    const { state } = at;
    const key = this.#string(node.counterKey, at);
    const incrementCount = this.#number(node.incrementCount, at, 'increment-count');
    const quota = this.#deps.instance.quota({
      ...(node.calls !== null ? { calls: node.calls } : {}),
      ...(node.bandwidth !== null ? { bandwidthKilobytes: node.bandwidth } : {}),
      renewalPeriodSeconds: node.renewalPeriod,
      firstPeriodStart: node.firstPeriodStartMs,
    });
    const deferred = node.incrementCondition?.kind === 'expression' || node.incrementCount.kind === 'expression';
    let decision;
    if (deferred || (node.incrementCondition && !this.#bool(node.incrementCondition, at))) {
      decision = quota.check(key);
      if (decision.allowed && deferred) {
        const condition = node.incrementCondition;
        state.afterPipeline.push(() => {
          if (!condition || this.#bool(condition, at)) quota.increment(key, incrementCount);
        });
      }
    } else {
      decision = quota.tryIncrement(key, incrementCount);
    }
    if (node.bandwidth !== null) state.afterResponseBytes.push((bytes) => quota.addBandwidth(key, bytes));
    if (!decision.allowed) {
      state.markLimited('QuotaExceeded', 'quota-by-key', at.section, at.chain[at.level]!.scope);
      const headers: Record<string, string> = decision.retryAfterSeconds !== undefined ? { 'Retry-After': String(decision.retryAfterSeconds) } : {};
      throw new PipelineStop(gatewayResponse(gatewayErrors.quotaExceeded(decision.retryAfterSeconds), headers));
    }
  }

  #tokenLimit(node: TokenLimitPolicy, at: Position): void {
    const { state } = at;
    const key = this.#string(node.counterKey, at);
    const tokensPerMinute = node.tokensPerMinute ? this.#number(node.tokensPerMinute, at, 'tokens-per-minute') : undefined;
    const limit = this.#deps.instance.tokenLimit({
      ...(tokensPerMinute !== undefined ? { tokensPerMinute } : {}),
      ...(node.tokenQuota !== null ? { tokenQuota: node.tokenQuota } : {}),
      ...(node.tokenQuotaPeriod !== null ? { tokenQuotaPeriod: node.tokenQuotaPeriod } : {}),
      estimatePromptTokens: node.estimatePromptTokens,
    });
    const estimate = state.promptEstimate();
    const admission = limit.admit(key, estimate?.tokens ?? 0, { streaming: estimate?.stream ?? false });
    if (!admission.ok) {
      if (node.retryAfterVariableName) state.variables.set(node.retryAfterVariableName, admission.retryAfterSeconds);
      if (node.remainingTokensHeaderName) state.responseHeaderAdditions.set(node.remainingTokensHeaderName, ['0']);
      state.markLimited(admission.status === 429 ? 'TokenLimitExceeded' : 'TokenQuotaExceeded', node.kind, at.section, at.chain[at.level]!.scope);
      const error = admission.status === 429 ? gatewayErrors.tokenRateLimited(admission.retryAfterSeconds) : gatewayErrors.tokenQuotaExceeded(admission.retryAfterSeconds);
      throw new PipelineStop(gatewayResponse(error, { [node.retryAfterHeaderName]: String(admission.retryAfterSeconds) }));
    }
    if (node.remainingTokensVariableName && admission.remainingTokens !== undefined) state.variables.set(node.remainingTokensVariableName, admission.remainingTokens);
    if (node.remainingTokensHeaderName && admission.remainingTokens !== undefined) state.responseHeaderAdditions.set(node.remainingTokensHeaderName, [String(admission.remainingTokens)]);
    if (node.remainingQuotaTokensVariableName && admission.remainingQuotaTokens !== undefined) state.variables.set(node.remainingQuotaTokensVariableName, admission.remainingQuotaTokens);
    if (node.remainingQuotaTokensHeaderName && admission.remainingQuotaTokens !== undefined) state.responseHeaderAdditions.set(node.remainingQuotaTokensHeaderName, [String(admission.remainingQuotaTokens)]);
    if (node.tokensConsumedVariableName) state.variables.set(node.tokensConsumedVariableName, admission.chargedPromptTokens);
    state.afterResponse.push((usage) => {
      // Without usage (an error answer, a dropped stream) the estimate charged at admission stands.
      if (!usage) return;
      limit.settle(key, admission, { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens });
    });
    if (node.tokensConsumedHeaderName) state.usageHeaders.push(node.tokensConsumedHeaderName);
    if (node.tokensConsumedVariableName) state.usageVariables.push(node.tokensConsumedVariableName);
  }

  #returnResponse(node: ReturnResponsePolicy, at: Position): GatewayResponse {
    const { state } = at;
    const base = node.responseVariableName ? state.variables.get(node.responseVariableName) : undefined;
    const response: GatewayResponse = {
      status: 200,
      reason: 'OK',
      headers: new HeaderBag(),
      body: { kind: 'buffer', bytes: Buffer.alloc(0) },
    };
    if (base && typeof base === 'object' && 'statusCode' in base) response.status = Number((base as { statusCode: number }).statusCode);
    for (const child of node.policies) {
      if (child.kind === 'set-status') {
        response.status = this.#number(child.code, at, 'set-status code');
        response.reason = this.#string(child.reason, at);
      } else if (child.kind === 'set-header') {
        const name = this.#string(child.name, at);
        const action = this.#string(child.existsAction, at).toLowerCase();
        const values = child.values.map((value) => this.#string(value, at));
        if (action === 'delete') response.headers.delete(name);
        else if (action === 'append') response.headers.append(name, values);
        else if (!(action === 'skip' && response.headers.has(name))) response.headers.set(name, values);
      } else if (child.kind === 'set-body') {
        response.body = { kind: 'buffer', bytes: Buffer.from(this.#string(child.body, at)) };
      }
    }
    return response;
  }

  #setStatus(node: SetStatusPolicy, at: Position): void {
    const response = at.state.ensureResponse();
    response.status = this.#number(node.code, at, 'set-status code');
    response.reason = this.#string(node.reason, at);
    at.state.invalidate();
  }

  #setBody(node: SetBodyPolicy, at: Position): void {
    const text = this.#string(node.body, at);
    if (at.section === 'inbound' || at.section === 'backend') at.state.setRequestBody(Buffer.from(text));
    else at.state.ensureResponse().body = { kind: 'buffer', bytes: Buffer.from(text) };
    at.state.invalidate();
  }

  #checkHeader(node: CheckHeaderPolicy, at: Position): void {
    const name = this.#string(node.name, at);
    const present = at.state.requestHeaders.get(name);
    const ignoreCase = this.#bool(node.ignoreCase, at);
    const wanted = node.values.map((value) => this.#string(value, at));
    const matches =
      present !== undefined &&
      (wanted.length === 0 || present.some((value) => wanted.some((w) => (ignoreCase ? w.toLowerCase() === value.toLowerCase() : w === value))));
    if (matches) return;
    const status = this.#number(node.failedCheckHttpCode, at, 'failed-check-httpcode');
    throw new PipelineStop(gatewayResponse({ status, reason: 'Unauthorized', message: this.#string(node.failedCheckErrorMessage, at) }));
  }

  #ipFilter(node: IpFilterPolicy, at: Position): void {
    const action = this.#string(node.action, at);
    const addresses = node.addresses.map((value) => this.#string(value, at));
    const ip = at.state.facts.callerIp;
    if (ipAllowed(ip, action === 'allow' ? 'allow' : 'forbid', addresses, node.ranges)) return;
    throw new PipelineStop(gatewayResponse({ status: 403, reason: 'Forbidden', message: `Caller IP address ${ip} is not allowed. Access denied.` }));
  }

  #recordMetric(node: EmitTokenMetricPolicy, at: Position): void {
    const { state } = at;
    const dimensions: Record<string, string> = {};
    const defaults: string[] = [];
    for (const dimension of node.dimensions) {
      const name = this.#string(dimension.name, at);
      dimensions[name] = dimension.value ? this.#string(dimension.value, at) : defaultDimension(name, state);
      if (!dimension.value) defaults.push(name);
    }
    const namespace = node.namespace;
    state.afterResponse.push((usage) => {
      if (!usage) return;
      // The metric is emitted once the answer is in: built-in dimensions such as Backend ID
      // (unknown in inbound, where the policy sits) take their values from that moment.
      for (const name of defaults) dimensions[name] = defaultDimension(name, state);
      this.#deps.emitTokenMetric({ namespace, dimensions, usage });
    });
  }
}

/** A policy's failure as the pipeline reports it: stops and policy failures pass as they are. */
function policyFailureOf(error: unknown, node: PolicyNode, at: Position): unknown {
  if (error instanceof PipelineStop || error instanceof PolicyFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PolicyFailure({
    source: node.kind,
    reason: error instanceof Error && error.name === 'ExpressionRuntimeError' ? 'ExpressionValueEvaluationFailure' : 'PolicyExecutionFailure',
    message,
    section: at.section,
    scope: at.chain[at.level]!.scope,
    ...(node.policyId ? { policyId: node.policyId } : {}),
  });
}

interface Position {
  section: SectionName;
  chain: ScopeChain;
  level: number;
  state: RequestState;
  run: { forwarded: boolean };
}

/** Values of the built-in dimensions that need no value attribute [DOC EMIT]. */
function defaultDimension(name: string, state: RequestState): string {
  const { facts } = state;
  switch (name) {
    case 'API ID':
      return facts.api.id;
    case 'Operation ID':
      return facts.operation.id;
    case 'Product ID':
      return facts.product?.id ?? '';
    case 'Subscription ID':
      return facts.subscription?.id ?? '';
    case 'Location':
      return facts.region;
    case 'Gateway ID':
      return 'managed';
    case 'Backend ID':
      return state.log.backendId ?? '';
    default:
      return '';
  }
}
