import type { Clock } from '../../shared/clock.ts';
import { messageBody, queryMap } from '../expressions/index.ts';
import type {
  ApiView,
  DeploymentView,
  HeaderMapView,
  LastErrorView,
  MessageBodyView,
  OperationView,
  PolicyContextView,
  ProductView,
  RequestView,
  ResponseView,
  SubscriptionView,
  UrlView,
} from '../expressions/index.ts';
import type { GatewayResponse, RequestState } from './request-state.ts';

/**
 * The `context` that expressions see for one request, made lazily.
 *
 * The pipeline changes the request or the response between expressions (every set-header,
 * the backend's answer, ...) and calls RequestState.invalidate() after each change. Rebuilding
 * a whole view each time cost more than the expressions themselves, so this view is made once
 * per request: the facts that never change (subscription, product, API, operation, deployment)
 * are set at construction, and the request and response parts are made on first read after a
 * change. Within those parts, the URL, the header snapshots and the decoded response body are
 * made only when an expression reads them.
 *
 * What an expression sees is the same as with a view rebuilt after every change: no part is
 * made before the change that invalidates it, and none outlives it.
 */
export class ContextView implements PolicyContextView {
  readonly subscription: SubscriptionView | null;
  readonly product: ProductView | null;
  readonly user = null;
  readonly api: ApiView;
  readonly operation: OperationView;
  readonly deployment: DeploymentView;
  readonly variables: ReadonlyMap<string, unknown>;
  readonly requestId: string;
  /** An own function rather than a method, so it works however the evaluator calls it. */
  readonly now: () => number;

  readonly #state: RequestState;
  #request: RequestView | null = null;
  /** undefined: not made since the last change; null: there is no response yet. */
  #response: ResponseView | null | undefined = undefined;

  constructor(state: RequestState, clock: Clock) {
    this.#state = state;
    const { facts } = state;
    this.subscription = facts.subscription ? { id: facts.subscription.id, name: facts.subscription.displayName, key: facts.presentedKey ?? '', primaryKey: facts.subscription.primaryKey } : null;
    this.product = facts.product ? { id: facts.product.id, name: facts.product.displayName } : null;
    this.api = { id: facts.api.id, name: facts.api.displayName, path: facts.api.path };
    this.operation = { id: facts.operation.id, name: facts.operation.id, method: facts.operation.method, urlTemplate: facts.operation.urlTemplate };
    this.deployment = { region: facts.region, serviceName: facts.serviceName, gatewayId: 'managed' };
    this.variables = state.variables;
    this.requestId = state.requestId;
    this.now = () => clock.now();
  }

  /** The request or the response changed: their parts are made again when next read. */
  invalidate(): void {
    this.#request = null;
    this.#response = undefined;
  }

  get request(): RequestView {
    this.#request ??= new RequestPart(this.#state);
    return this.#request;
  }

  get response(): ResponseView | null {
    if (this.#response === undefined) this.#response = this.#state.response ? new ResponsePart(this.#state.response) : null;
    return this.#response;
  }

  /** context.Elapsed, read when an expression asks for it rather than refreshed before every evaluation. */
  get elapsedMs(): number {
    return this.#state.elapsedMs;
  }

  /** Set only together with an invalidate(), so reading it live shows what a rebuilt view would. */
  get lastError(): LastErrorView | null {
    return this.#state.lastError;
  }
}

/** context.Request as of the last change; URL and headers are made on first read. */
class RequestPart implements RequestView {
  readonly method: string;
  readonly body: MessageBodyView | null;
  readonly ipAddress: string;
  readonly matchedParameters: ReadonlyMap<string, string>;
  readonly #state: RequestState;
  #url: UrlView | null = null;
  #headers: HeaderMapView | null = null;

  constructor(state: RequestState) {
    this.#state = state;
    this.method = state.method;
    // Taken now, not on read: reading the body can consume it (see RequestState.requestBodyView).
    this.body = state.requestBodyView();
    this.ipAddress = state.facts.callerIp;
    this.matchedParameters = state.templateParameters;
  }

  get url(): UrlView {
    if (!this.#url) {
      const url = this.#state.originalUrl;
      const query = this.#state.backendQuery;
      this.#url = {
        scheme: url.protocol.replace(/:$/, ''),
        host: url.hostname,
        port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
        path: decodeURIComponent(url.pathname),
        query: queryMap(query),
        queryString: query.size > 0 ? `?${query.toString()}` : '',
      };
    }
    return this.#url;
  }

  get headers(): HeaderMapView {
    this.#headers ??= this.#state.requestHeaders.view();
    return this.#headers;
  }
}

/** context.Response as of the last change; headers and body text are made on first read. */
class ResponsePart implements ResponseView {
  readonly statusCode: number;
  readonly statusReason: string;
  readonly body: MessageBodyView | null;
  readonly #response: GatewayResponse;
  #headers: HeaderMapView | null = null;

  constructor(response: GatewayResponse) {
    this.#response = response;
    this.statusCode = response.status;
    this.statusReason = response.reason;
    const bytes = response.body.kind === 'buffer' ? response.body.bytes : null;
    this.body = bytes ? messageBody(() => bytes.toString('utf8')) : null;
  }

  get headers(): HeaderMapView {
    this.#headers ??= this.#response.headers.view();
    return this.#headers;
  }
}
