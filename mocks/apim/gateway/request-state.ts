import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../shared/clock.ts';
import type { ApiConfig, OperationConfig, ProductConfig, SubscriptionConfig } from '../config/types.ts';
import { messageBody } from '../expressions/index.ts';
import type { HeaderMapView, LastErrorView, MessageBodyView, PolicyContextView } from '../expressions/index.ts';
import type { ForwardOutcome } from './backend-forwarder.ts';
import { ContextView } from './context-view.ts';
import { estimateRequestBody, usageFromJsonAnswer, type PromptEstimate } from './llm-usage.ts';

/**
 * Everything one request carries through the pipeline: the request as policies have shaped
 * it so far, the backend chosen, the response once there is one, variables, and the facts the
 * gateway log row needs. Policies mutate it; `view()` gives expressions their `context`.
 */
export class HeaderBag {
  readonly #values = new Map<string, { name: string; values: string[] }>();
  /** The expression view of these headers, kept until the next change (see view()). */
  #view: HeaderMapView | null = null;

  static from(headers: IncomingMessage['headers'] | Record<string, string | string[] | number | undefined>): HeaderBag {
    const bag = new HeaderBag();
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      bag.set(name, Array.isArray(value) ? value.map(String) : [String(value)]);
    }
    return bag;
  }

  /** Read-only: a change must go through set, append or delete, which drop the cached view(). */
  get(name: string): readonly string[] | undefined {
    return this.#values.get(name.toLowerCase())?.values;
  }

  first(name: string): string | undefined {
    return this.get(name)?.[0];
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  set(name: string, values: string[]): void {
    this.#values.set(name.toLowerCase(), { name, values });
    this.#view = null;
  }

  append(name: string, values: string[]): void {
    const existing = this.#values.get(name.toLowerCase());
    if (existing) {
      existing.values.push(...values);
      this.#view = null;
    } else this.set(name, [...values]);
  }

  delete(name: string): void {
    this.#values.delete(name.toLowerCase());
    this.#view = null;
  }

  /**
   * For the expression engine: lower-case keys, values in order. A snapshot, taken at most once
   * per change of the bag however many expression views read it in between.
   */
  view(): HeaderMapView {
    if (!this.#view) {
      // What headerMap() would make of the (name, value) pairs: the keys here are already the
      // lower-cased names, one entry each, so each becomes a copy of its values.
      const map = new Map<string, string[]>();
      for (const [key, { values }] of this.#values) map.set(key, [...values]);
      this.#view = map;
    }
    return this.#view;
  }

  /** For sending: one value per header, joined as HTTP allows, except set-cookie. */
  toOutgoing(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const { name, values } of this.#values.values()) out[name] = name.toLowerCase() === 'set-cookie' ? values : values.join(', ');
    return out;
  }

  /**
   * For forwarding: name, value, name, value, ... (values joined), leaving out the headers
   * whose lower-case names are in `skip`. Flat, as http.request takes headers without
   * building and validating an object of them first.
   */
  toFlatList(skip: ReadonlySet<string>): string[] {
    const out: string[] = [];
    for (const [key, { name, values }] of this.#values) if (!skip.has(key)) out.push(name, values.join(', '));
    return out;
  }
}

export interface GatewayResponse {
  status: number;
  reason: string;
  headers: HeaderBag;
  /** A buffered body, or a live event stream passed through after outbound. */
  body: { kind: 'buffer'; bytes: Buffer } | { kind: 'stream'; outcome: Extract<ForwardOutcome, { kind: 'stream' }> };
}

export interface BackendTarget {
  backendId: string | null;
  baseUrl: string | null;
}

export interface RequestFacts {
  region: string;
  serviceName: string;
  api: ApiConfig;
  operation: OperationConfig;
  product: ProductConfig | null;
  subscription: SubscriptionConfig | null;
  presentedKey: string | null;
  callerIp: string;
}

export class RequestState {
  readonly requestId: string;
  readonly started: number;
  readonly facts: RequestFacts;
  method: string;
  /** The request URL as the gateway received it (for logs and originalUrl). */
  readonly originalUrl: URL;
  /** The backend path and query, relative to the backend base URL; rewrite-uri changes it. */
  backendPath: string;
  backendQuery: URLSearchParams;
  readonly requestHeaders: HeaderBag;
  requestBody: Buffer;
  #requestBodyView: MessageBodyView | null = null;
  readonly variables = new Map<string, unknown>();
  target: BackendTarget = { backendId: null, baseUrl: null };
  response: GatewayResponse | null = null;
  lastError: LastErrorView | null = null;
  /** Facts for the gateway log row, filled as the pipeline goes. */
  readonly log = {
    backendId: null as string | null,
    backendUrl: null as string | null,
    backendResponseCode: null as number | null,
    backendTimeMs: 0,
    lastErrorReason: null as string | null,
    lastErrorMessage: null as string | null,
    lastErrorSource: null as string | null,
    lastErrorSection: null as string | null,
    lastErrorScope: null as string | null,
    lastErrorElapsed: null as number | null,
    attempts: 0,
  };
  /** Work to do once the response has been sent and its token usage is known. */
  readonly afterResponse: ((usage: LlmUsage | null) => void)[] = [];
  /** Work to do at the end of outbound (rate-limit and quota increments with expression conditions). */
  readonly afterPipeline: (() => void)[] = [];
  /** Bandwidth quotas, told the request plus response size once it is known. */
  readonly afterResponseBytes: ((bytes: number) => void)[] = [];
  /** tokens-consumed-header-name / -variable-name of token limits: filled once usage is known. */
  readonly usageHeaders: string[] = [];
  readonly usageVariables: string[] = [];
  /** Path and query template parameters of the matched operation (rewrite-uri fills them in). */
  templateParameters: ReadonlyMap<string, string> = new Map();
  /** Headers that belong on the final response whatever answers (limit policies set these). */
  readonly responseHeaderAdditions = new HeaderBag();
  /** Token metric dimensions recorded in inbound, emitted once usage is known. */
  readonly metricRequests: { namespace: string; dimensions: Record<string, string> }[] = [];
  readonly signal: AbortSignal;
  /** Bytes of body the client sent (RequestSize): set-body and reading the body do not change it. */
  readonly receivedBytes: number;
  readonly #clock: Clock;

  constructor(args: { requestId: string; clock: Clock; started?: number; facts: RequestFacts; method: string; url: URL; backendPath: string; headers: HeaderBag; body: Buffer; signal: AbortSignal }) {
    this.requestId = args.requestId;
    this.#clock = args.clock;
    this.started = args.started ?? args.clock.now();
    this.facts = args.facts;
    this.method = args.method;
    this.originalUrl = args.url;
    this.backendPath = args.backendPath;
    this.backendQuery = new URLSearchParams(args.url.search);
    this.requestHeaders = args.headers;
    this.requestBody = args.body;
    this.receivedBytes = args.body.length;
    this.signal = args.signal;
  }

  #view: ContextView | null = null;

  /** Tells the expression view that the request or response changed. */
  invalidate(): void {
    this.#view?.invalidate();
  }

  /** The response outbound and on-error policies act on; an empty 200 when none exists yet. */
  ensureResponse(): GatewayResponse {
    if (!this.response) {
      this.response = { status: 200, reason: 'OK', headers: new HeaderBag(), body: { kind: 'buffer', bytes: Buffer.alloc(0) } };
      this.invalidate();
    }
    return this.response;
  }

  /** Records, for the log row, a limit policy that answered the caller itself. */
  markLimited(reason: string, source: string, section: string, scope: string): void {
    this.log.lastErrorReason = reason;
    this.log.lastErrorSource = source;
    this.log.lastErrorSection = section;
    this.log.lastErrorScope = scope;
    this.log.lastErrorElapsed = this.elapsedMs;
  }

  get elapsedMs(): number {
    return this.#clock.now() - this.started;
  }

  setRequestBody(bytes: Buffer): void {
    this.requestBody = bytes;
    this.#requestBodyView = null;
    this.invalidate();
  }

  #promptEstimate: { body: Buffer; estimate: PromptEstimate | null } | null = null;
  #answerUsage: { answer: Buffer; usage: LlmUsage | null } | null = null;

  /** The request body's prompt-token estimate (llm-usage.ts), worked out once per body. */
  promptEstimate(): PromptEstimate | null {
    if (this.#promptEstimate?.body !== this.requestBody) this.#promptEstimate = { body: this.requestBody, estimate: estimateRequestBody(this.requestBody) };
    return this.#promptEstimate.estimate;
  }

  /** The token usage a buffered answer reports (llm-usage.ts), parsed once per answer. */
  answerUsage(answer: Buffer): LlmUsage | null {
    if (this.#answerUsage?.answer !== answer) this.#answerUsage = { answer, usage: usageFromJsonAnswer(answer) };
    return this.#answerUsage.usage;
  }

  /** The request body for expressions (null when empty), made once per body. */
  requestBodyView(): MessageBodyView | null {
    if (this.requestBody.length === 0) return null;
    if (!this.#requestBodyView) {
      const bytes = this.requestBody;
      const view = messageBody(() => bytes.toString('utf8'));
      // APIM: reading without preserveContent consumes the body; the backend then gets none.
      const consume = view.consume.bind(view);
      view.consume = () => {
        consume();
        this.requestBody = Buffer.alloc(0);
      };
      this.#requestBodyView = view;
    }
    return this.#requestBodyView;
  }

  /**
   * The `context` expressions see: one lazy view per request (see context-view.ts), whose
   * request and response parts are made again after invalidate(); variables are a live map,
   * so set-variable needs no invalidate().
   */
  view(): PolicyContextView {
    this.#view ??= new ContextView(this, this.#clock);
    return this.#view;
  }
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  model: string | null;
  stream: boolean;
  /** True when the counts come from the response's usage object, false when estimated. */
  reported: boolean;
}
