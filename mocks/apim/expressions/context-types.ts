/**
 * The run-time shape of APIM's `context` variable as the expression evaluator reads it.
 *
 * It is plain data plus a few small functions so the policy engine can build one per request
 * cheaply: nothing here is computed until an expression asks for it (the body is decoded and
 * parsed lazily, once per request). Property names follow APIM's members in camelCase
 * (context.Request.Url.Path → request.url.path). Optional parts mirror APIM: a request without
 * a subscription key has no Subscription, and reading context.Subscription.Id then fails with
 * a NullReferenceException exactly as on the real gateway.
 *
 * Builders for the multi-value maps and the body are in context-builders.ts.
 */

/**
 * A read-only multi-value dictionary (headers, query parameters). A plain
 * `Map<string, string[]>` satisfies it. GetValueOrDefault joins multiple values with ','.
 */
export interface MultiValueMapView {
  /** Every value stored under `name`, in order; undefined when absent. */
  get(name: string): readonly string[] | undefined;
}

/**
 * Headers: the evaluator always looks names up in lower case (HTTP header names are case
 * insensitive), so the map must be keyed by lower-case names, as Node's
 * IncomingMessage.headers already is. Use headerMap() to build one from any casing.
 */
export type HeaderMapView = MultiValueMapView;

export interface MessageBodyView {
  /** The body decoded as text. */
  text(): string;
  /** JSON.parse of text(), parsed at most once per request; throws SyntaxError if not JSON. */
  json(): unknown;
  /**
   * Called after Body.As<T>() without preserveContent: true. On APIM that read consumes the
   * stream, so later reads (including forwarding the body to the backend) see it empty.
   */
  consume(): void;
}

export interface UrlView {
  scheme: string;
  host: string;
  port: number;
  /** Path without the query string, e.g. "/openai/deployments/gpt-4o/chat/completions". */
  path: string;
  /** Query parameters by exact (case-sensitive) name. */
  query: MultiValueMapView;
  /** The query string including its leading '?', or "" when there is none. */
  queryString: string;
}

export interface RequestView {
  method: string;
  url: UrlView;
  /** The URL before any rewrite-uri; defaults to `url`. */
  originalUrl?: UrlView;
  headers: HeaderMapView;
  /** null (or absent) when the request has no body, as on APIM. */
  body?: MessageBodyView | null;
  ipAddress: string;
  /** Path/query template parameters of the matched operation. */
  matchedParameters?: ReadonlyMap<string, string>;
}

export interface ResponseView {
  statusCode: number;
  statusReason: string;
  headers: HeaderMapView;
  body?: MessageBodyView | null;
}

export interface SubscriptionView {
  id: string;
  name: string;
  /** The key the caller presented. */
  key: string;
  primaryKey?: string;
  secondaryKey?: string;
}

export interface ProductView {
  id: string;
  name: string;
}

export interface ApiView {
  id: string;
  name: string;
  /** The API URL suffix, e.g. "openai". */
  path: string;
  version?: string;
  revision?: string;
  isCurrentRevision?: boolean;
}

export interface OperationView {
  id: string;
  name: string;
  method: string;
  urlTemplate: string;
}

export interface DeploymentView {
  /** Azure region display name, e.g. "East US". */
  region: string;
  serviceName: string;
  /** "managed" for the managed gateway, as APIM reports it. */
  gatewayId: string;
}

export interface UserView {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  note?: string;
}

/** context.LastError, set by the policy engine before running an on-error section. */
export interface LastErrorView {
  source: string;
  reason: string;
  message: string;
  scope: string;
  section: string;
  path: string;
  policyId: string;
}

export interface PolicyContextView {
  request: RequestView;
  /** Absent before the backend has answered (inbound section). */
  response?: ResponseView | null;
  subscription?: SubscriptionView | null;
  product?: ProductView | null;
  user?: UserView | null;
  api: ApiView;
  operation: OperationView;
  deployment: DeploymentView;
  /**
   * context.Variables. Expressions only read it; set-variable writes it. Store values in their
   * run-time form: string, number, boolean, null, JToken, a ResponseView (send-request).
   */
  variables: ReadonlyMap<string, unknown>;
  /** Present only while an on-error section runs. */
  lastError?: LastErrorView | null;
  /** context.RequestId: a Guid in "D" form. */
  requestId: string;
  /** context.Elapsed in milliseconds; the engine refreshes it before evaluating. */
  elapsedMs: number;
  /** Current time in epoch milliseconds (DateTime.UtcNow); inject a manual clock in tests. */
  now(): number;
  /** Source of Guid.NewGuid(); defaults to crypto.randomUUID(). Inject for repeatable runs. */
  newGuid?(): string;
  /** context.Tracing. */
  tracing?: boolean;
}
