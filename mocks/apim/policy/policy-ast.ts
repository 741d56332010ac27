/**
 * The typed tree the policy compiler produces from APIM policy XML and the runtime executes.
 *
 * Why a tree of plain data: everything that can be decided when a policy document is loaded
 * (element names, attribute presence, enums, integer ranges, durations, expression syntax and
 * types, section placement, named values, fragments) is decided once by the compiler, so the
 * runtime never sees XML and never has to re-validate. A node only exists for a policy the
 * emulator can execute; anything else is a load-time problem (see policy-errors.ts).
 *
 * Conventions used throughout:
 * - `kind` is the APIM element name, so a `switch (node.kind)` reads like the policy XML.
 * - Attribute names are camelCased (`exists-action` → `existsAction`).
 * - Defaults APIM documents are already applied: an optional attribute with a documented
 *   default is never undefined; one without a default is `null` when absent.
 * - An attribute that APIM allows to be a policy expression is a `PolicyValue<T>`; one that
 *   APIM only allows as a literal is a plain `T`.
 */
import type { CompiledExpression } from '../expressions/index.ts';

/** Where a node (or value) came from: the file it was written in and its 1-based position. */
export interface SourceLocation {
  /** The policy or fragment file as given to the compiler (`options.file`). */
  readonly file: string;
  /** 1-based line in the ORIGINAL file, i.e. before named values were substituted. */
  readonly line: number;
  /** 1-based column in the original file (for a value: where the attribute value starts). */
  readonly column: number;
}

/**
 * A literal attribute value (or element text) with its parsed typed value. For string
 * attributes `value === text`; for numbers/booleans/durations it is the parsed form, so the
 * runtime never parses literals per request.
 */
export interface LiteralValue<T = string> {
  readonly kind: 'literal';
  /** The text after XML entity decoding and named-value substitution. */
  readonly text: string;
  readonly value: T;
  readonly at: SourceLocation;
}

/**
 * A policy expression (`@(...)` or `@{...}`), compiled and type-checked at load time. The
 * runtime evaluates it per request and converts the result to the attribute's type (T of the
 * surrounding PolicyValue<T>): for strings use formatValue(); for numbers/booleans the compiler
 * has already rejected result types that can never convert (see `resultType`).
 */
export interface ExpressionValue {
  readonly kind: 'expression';
  readonly text: string;
  readonly expression: CompiledExpression;
  readonly at: SourceLocation;
}

/** An attribute (or element text) where APIM allows either a literal or an expression. */
export type PolicyValue<T = string> = LiteralValue<T> | ExpressionValue;

/** Fields every policy node has. */
export interface NodeBase {
  /** Where the element's start tag begins (`<` position). */
  readonly at: SourceLocation;
  /**
   * Set when the node was inlined from `<include-fragment fragment-id="...">`: the id of the
   * innermost fragment that contained it (its `at.file` is that fragment's file). Lets runtime
   * errors say "in fragment X". Undefined for nodes written directly in the policy document.
   */
  readonly fragmentId?: string;
  /**
   * The optional `id` attribute APIM accepts on any policy element; it becomes
   * context.LastError.PolicyId when the policy fails. Undefined when absent.
   */
  readonly policyId?: string;
}

/** The four pipeline sections of a policy document. */
export type SectionName = 'inbound' | 'backend' | 'outbound' | 'on-error';

/** The scope a policy document is attached to. Workspaces are not modelled. */
export type PolicyScope = 'global' | 'product' | 'api' | 'operation';

// ---------------------------------------------------------------------------------------------
// Control flow and inheritance

/** `<base />`: run the enclosing scope's policies for this section here. Never at global scope. */
export interface BasePolicy extends NodeBase {
  readonly kind: 'base';
}

/** `<choose>`: the first `<when>` whose condition is true runs, else `<otherwise>` if present. */
export interface ChoosePolicy extends NodeBase {
  readonly kind: 'choose';
  /** At least one (APIM requires a `<when>`). */
  readonly when: readonly WhenClause[];
  /** null when there is no `<otherwise>`; an empty `<otherwise/>` is []. */
  readonly otherwise: readonly PolicyNode[] | null;
}

export interface WhenClause {
  readonly at: SourceLocation;
  /** Boolean literal ("true"/"false") or a bool expression. */
  readonly condition: PolicyValue<boolean>;
  readonly policies: readonly PolicyNode[];
}

/**
 * `<retry>`: run the children once, then while `condition` is true and fewer than `count`
 * retries happened, wait and run them again. Children may be any policy except `wait`.
 */
export interface RetryPolicy extends NodeBase {
  readonly kind: 'retry';
  readonly condition: PolicyValue<boolean>;
  /** 1..50 (a literal is range-checked at load time; an expression is checked at run time). */
  readonly count: PolicyValue<number>;
  /** Seconds; literal ≥ 0. */
  readonly interval: PolicyValue<number>;
  /** Seconds; null when absent. With interval only: fixed; + delta: linear; + max-interval: exponential. */
  readonly maxInterval: PolicyValue<number> | null;
  readonly delta: PolicyValue<number> | null;
  /** Default false: whether the first retry happens immediately. */
  readonly firstFastRetry: PolicyValue<boolean>;
  readonly policies: readonly PolicyNode[];
}

// ---------------------------------------------------------------------------------------------
// Variables, headers, query, URL, backend

/** `<set-variable name value>`: stores the (evaluated) value in context.Variables. */
export interface SetVariablePolicy extends NodeBase {
  readonly kind: 'set-variable';
  readonly name: string;
  /**
   * A literal is stored as a string (APIM does not infer literal types). An expression's
   * result is stored as is (its static type is `value.expression.resultType`).
   */
  readonly value: PolicyValue;
}

export type ExistsAction = 'override' | 'skip' | 'append' | 'delete';

/**
 * `<set-header>` and `<set-query-parameter>`: same shape. In inbound/backend they act on the
 * request, in outbound/on-error on the response (set-query-parameter: request only).
 */
export interface SetHeaderPolicy extends NodeBase {
  readonly kind: 'set-header' | 'set-query-parameter';
  readonly name: PolicyValue;
  /** Default 'override'. APIM allows an expression here; it must yield one of the four words. */
  readonly existsAction: PolicyValue<ExistsAction>;
  /** The `<value>` children in order; empty for delete (and allowed empty otherwise). */
  readonly values: readonly PolicyValue[];
}

/**
 * `<set-backend-service>`: exactly one of backendId / baseUrl is non-null. Service Fabric
 * (`sf-*`) and Dapr (`dapr-*`) attributes are real APIM attributes but are load-time problems
 * ("not supported by the emulator"), so they never reach the runtime.
 */
export interface SetBackendServicePolicy extends NodeBase {
  readonly kind: 'set-backend-service';
  readonly backendId: PolicyValue | null;
  readonly baseUrl: PolicyValue | null;
}

/** `<rewrite-uri template copy-unmatched-params>`: replaces the backend request path/query. */
export interface RewriteUriPolicy extends NodeBase {
  readonly kind: 'rewrite-uri';
  /** URL template such as `/v2/{id}?x={x}`; may be an expression. */
  readonly template: PolicyValue;
  /** Default true: query parameters not in the template are kept. */
  readonly copyUnmatchedParams: boolean;
}

export type HttpVersion = '1' | '2' | '2or1';

/** `<forward-request>`: sends the request to the selected backend. Backend section only. */
export interface ForwardRequestPolicy extends NodeBase {
  readonly kind: 'forward-request';
  /**
   * Wait for the backend's response headers, in `timeoutUnit`: from `timeout` (seconds,
   * default 300) or `timeout-ms` (milliseconds); APIM forbids giving both.
   */
  readonly timeout: PolicyValue<number>;
  readonly timeoutUnit: 'seconds' | 'milliseconds';
  /** Seconds to wait for `100 Continue`; null when absent. */
  readonly continueTimeout: PolicyValue<number> | null;
  /** Default '1'. */
  readonly httpVersion: HttpVersion;
  /** Default false. */
  readonly followRedirects: PolicyValue<boolean>;
  /** Default false: buffer the request body so retries can re-send it. */
  readonly bufferRequestBody: boolean;
  /** Default true; false streams chunks (SSE) straight to the caller. */
  readonly bufferResponse: boolean;
  /** Default false: true turns a 400-599 backend status into on-error. */
  readonly failOnErrorStatusCode: boolean;
}

// ---------------------------------------------------------------------------------------------
// Rate limits, quotas, token limits

/** `<rate-limit-by-key>`: sliding-window call limit per key. 429 when exceeded. */
export interface RateLimitByKeyPolicy extends NodeBase {
  readonly kind: 'rate-limit-by-key';
  readonly calls: PolicyValue<number>;
  /** Seconds, 1..300 for literals. */
  readonly renewalPeriod: PolicyValue<number>;
  readonly counterKey: PolicyValue;
  /** null when absent (every call counts). */
  readonly incrementCondition: PolicyValue<boolean> | null;
  /** Default 1. */
  readonly incrementCount: PolicyValue<number>;
  /** Default 'Retry-After'. */
  readonly retryAfterHeaderName: string;
  readonly retryAfterVariableName: string | null;
  readonly remainingCallsHeaderName: string | null;
  readonly remainingCallsVariableName: string | null;
  readonly totalCallsHeaderName: string | null;
}

/**
 * `<quota-by-key>`: fixed-window call and/or bandwidth quota per key. 403 when exceeded.
 * APIM allows expressions only in counter-key, increment-condition and increment-count.
 */
export interface QuotaByKeyPolicy extends NodeBase {
  readonly kind: 'quota-by-key';
  /** At least one of calls / bandwidth is non-null. */
  readonly calls: number | null;
  /** Kilobytes. */
  readonly bandwidth: number | null;
  /** Seconds; 0 means the quota never renews; otherwise ≥ 300. */
  readonly renewalPeriod: number;
  readonly counterKey: PolicyValue;
  readonly incrementCondition: PolicyValue<boolean> | null;
  /** Default 1. */
  readonly incrementCount: PolicyValue<number>;
  /** first-period-start as ms since the Unix epoch; default 0001-01-01T00:00:00Z. */
  readonly firstPeriodStartMs: number;
}

export type TokenQuotaPeriod = 'Hourly' | 'Daily' | 'Weekly' | 'Monthly' | 'Yearly';

/**
 * `<llm-token-limit>` / `<azure-openai-token-limit>` (identical attributes). Inbound only.
 * TPM exceeded → 429 with Retry-After; quota exceeded → 403.
 */
export interface TokenLimitPolicy extends NodeBase {
  readonly kind: 'llm-token-limit' | 'azure-openai-token-limit';
  readonly counterKey: PolicyValue;
  /** At least one of tokensPerMinute / tokenQuota is non-null. */
  readonly tokensPerMinute: PolicyValue<number> | null;
  /** Literal only (APIM does not allow expressions here). */
  readonly tokenQuota: number | null;
  /** Non-null exactly when tokenQuota is. */
  readonly tokenQuotaPeriod: TokenQuotaPeriod | null;
  /** Required attribute; literal only. */
  readonly estimatePromptTokens: boolean;
  /** Default 'Retry-After'. */
  readonly retryAfterHeaderName: string;
  readonly retryAfterVariableName: string | null;
  readonly remainingQuotaTokensHeaderName: string | null;
  readonly remainingQuotaTokensVariableName: string | null;
  readonly remainingTokensHeaderName: string | null;
  readonly remainingTokensVariableName: string | null;
  readonly tokensConsumedHeaderName: string | null;
  readonly tokensConsumedVariableName: string | null;
}

// ---------------------------------------------------------------------------------------------
// Responses

/** `<return-response>`: stop the pipeline and answer the caller. */
export interface ReturnResponsePolicy extends NodeBase {
  readonly kind: 'return-response';
  /** Start from a response stored in this variable (e.g. by send-request); null when absent. */
  readonly responseVariableName: string | null;
  /** Children in document order: set-status, set-header, set-body only. */
  readonly policies: readonly ReturnResponseChild[];
}

/** A set-header inside return-response (never set-query-parameter), typed so `kind` narrows. */
export type ResponseSetHeaderPolicy = SetHeaderPolicy & { readonly kind: 'set-header' };

export type ReturnResponseChild = SetStatusPolicy | ResponseSetHeaderPolicy | SetBodyPolicy;

/** `<set-status code reason>`. */
export interface SetStatusPolicy extends NodeBase {
  readonly kind: 'set-status';
  /** Literal: an integer 100..599. */
  readonly code: PolicyValue<number>;
  /** Required by APIM's schema. */
  readonly reason: PolicyValue;
}

/**
 * `<set-body>`: element text is a literal body or an expression. `template="liquid"` is a
 * load-time problem (unsupported), so only plain bodies reach the runtime.
 */
export interface SetBodyPolicy extends NodeBase {
  readonly kind: 'set-body';
  readonly body: PolicyValue;
  /** `xsi-nil`: how an XML null element is rendered; null when absent. */
  readonly xsiNil: 'blank' | 'null' | null;
  /** `parse-date`, default true (only matters for JSON/XML conversions). */
  readonly parseDate: boolean;
}

// ---------------------------------------------------------------------------------------------
// Access control and authentication

/** `<check-header>`: reject unless header `name` is present (and matches one of `values`). */
export interface CheckHeaderPolicy extends NodeBase {
  readonly kind: 'check-header';
  readonly name: PolicyValue;
  readonly failedCheckHttpCode: PolicyValue<number>;
  readonly failedCheckErrorMessage: PolicyValue;
  readonly ignoreCase: PolicyValue<boolean>;
  /** Empty: only presence is checked. */
  readonly values: readonly PolicyValue[];
}

/** `<ip-filter>`: allow or forbid caller IPs by address or inclusive range. */
export interface IpFilterPolicy extends NodeBase {
  readonly kind: 'ip-filter';
  /** Expressions allowed; a literal is validated at load time. */
  readonly action: PolicyValue<'allow' | 'forbid'>;
  /** `<address>` texts (a literal is validated as an IPv4/IPv6 address at load time). */
  readonly addresses: readonly PolicyValue[];
  readonly ranges: readonly IpRange[];
}

/** `<address-range from to>`: inclusive; literal addresses of the same family. */
export interface IpRange {
  readonly at: SourceLocation;
  readonly from: string;
  readonly to: string;
}

/** `<validate-jwt>` against locally configured keys only (no openid-config fetching). */
export interface ValidateJwtPolicy extends NodeBase {
  readonly kind: 'validate-jwt';
  /** Exactly one token source. */
  readonly tokenSource:
    | { readonly from: 'header'; readonly name: PolicyValue }
    | { readonly from: 'query'; readonly name: PolicyValue }
    | { readonly from: 'value'; readonly value: PolicyValue };
  /** Default 401. */
  readonly failedValidationHttpCode: PolicyValue<number>;
  /** null: APIM's default message. */
  readonly failedValidationErrorMessage: PolicyValue | null;
  /** Default true. */
  readonly requireExpirationTime: PolicyValue<boolean>;
  /** null: any scheme (and a bare token) is accepted. */
  readonly requireScheme: PolicyValue | null;
  /** Default true. */
  readonly requireSignedTokens: PolicyValue<boolean>;
  /** Seconds; default 0. */
  readonly clockSkew: PolicyValue<number>;
  readonly outputTokenVariableName: string | null;
  /** `<issuer-signing-keys>`; empty when absent. */
  readonly signingKeys: readonly JwtKey[];
  /** `<decryption-keys>`; empty when absent. */
  readonly decryptionKeys: readonly JwtKey[];
  readonly audiences: readonly PolicyValue[];
  readonly issuers: readonly PolicyValue[];
  readonly requiredClaims: readonly RequiredClaim[];
}

/**
 * A `<key>`: base64 key text (symmetric), a certificate id (uploaded certificate), or an RSA
 * modulus/exponent pair (base64url). `id` matches the token's `kid` (signing keys only).
 */
export type JwtKey =
  | { readonly at: SourceLocation; readonly kind: 'base64'; readonly value: PolicyValue; readonly id: string | null }
  | { readonly at: SourceLocation; readonly kind: 'certificate'; readonly certificateId: string; readonly id: string | null }
  | { readonly at: SourceLocation; readonly kind: 'rsa'; readonly n: string; readonly e: string; readonly id: string | null };

export interface RequiredClaim {
  readonly at: SourceLocation;
  readonly name: string;
  /** Default 'all' (every value must be present); 'any': at least one. */
  readonly match: 'all' | 'any';
  /** Splits a multi-valued claim string; null when absent. */
  readonly separator: string | null;
  readonly values: readonly PolicyValue[];
}

/** `<authentication-managed-identity>`: obtain a token for `resource` and send it as Bearer. */
export interface AuthenticationManagedIdentityPolicy extends NodeBase {
  readonly kind: 'authentication-managed-identity';
  readonly resource: PolicyValue;
  /** User-assigned identity (literal only); null: system-assigned. */
  readonly clientId: string | null;
  /** Store the token here instead of setting Authorization; null when absent. */
  readonly outputTokenVariableName: string | null;
  /** Default false. */
  readonly ignoreError: boolean;
}

// ---------------------------------------------------------------------------------------------
// Observability

/**
 * `<llm-emit-token-metric>` / `<azure-openai-emit-token-metric>`. APIM documents these for the
 * inbound section only (the runtime records the dimensions there and emits when usage is known).
 */
export interface EmitTokenMetricPolicy extends NodeBase {
  readonly kind: 'llm-emit-token-metric' | 'azure-openai-emit-token-metric';
  /** Literal only; default 'API Management'. */
  readonly namespace: string;
  /** 1..10 dimensions, in document order. */
  readonly dimensions: readonly MetricDimension[];
}

/**
 * A `<dimension name value>`. `value` is null only for the built-in dimensions that need none
 * (API ID, Operation ID, Product ID, User ID, Subscription ID, Location, Gateway ID,
 * Backend ID; see DEFAULT_METRIC_DIMENSIONS); the runtime fills those from the request context.
 * APIM allows expressions in both name and value.
 */
export interface MetricDimension {
  readonly at: SourceLocation;
  readonly name: PolicyValue;
  readonly value: PolicyValue | null;
}

/** Every node the runtime may meet in a section, choose branch, retry or fragment. */
export type PolicyNode =
  | BasePolicy
  | ChoosePolicy
  | RetryPolicy
  | SetVariablePolicy
  | SetHeaderPolicy
  | SetBackendServicePolicy
  | RewriteUriPolicy
  | ForwardRequestPolicy
  | RateLimitByKeyPolicy
  | QuotaByKeyPolicy
  | TokenLimitPolicy
  | ReturnResponsePolicy
  | SetStatusPolicy
  | SetBodyPolicy
  | CheckHeaderPolicy
  | IpFilterPolicy
  | ValidateJwtPolicy
  | AuthenticationManagedIdentityPolicy
  | EmitTokenMetricPolicy;

export type PolicyKind = PolicyNode['kind'];

// ---------------------------------------------------------------------------------------------
// Compiled documents

/** A compiled `<policies>` document. A section that is absent from the XML is null. */
export interface CompiledPolicy {
  readonly file: string;
  readonly scope: PolicyScope;
  readonly sections: { readonly [S in SectionName]: readonly PolicyNode[] | null };
}

/**
 * A compiled `<fragment>`. Fragments are validated for section placement only when included
 * (a fragment does not know which section it will be used in), so `sectionsAllowed` records
 * which sections every node in it may appear in.
 */
export interface CompiledFragment {
  /** The fragment id when known (compileFragment's `options.id`), else null. */
  readonly id: string | null;
  readonly file: string;
  readonly policies: readonly PolicyNode[];
  /** Sections in which every policy of the fragment is allowed. */
  readonly sectionsAllowed: ReadonlySet<SectionName>;
}
