/**
 * The gateway configuration the emulator runs from: what `loadGatewayConfig` returns after
 * reading an APIOps artifact folder and its `emulator.json`. Plain data, already validated and
 * cross-checked; policies are kept as raw XML because a separate compiler turns them into
 * executable form. docs/apim-config.md describes where each field comes from.
 */
import type { PoolMember } from '../backends/backend-pool.ts';
import type { CircuitBreakerRule } from '../backends/circuit-breaker.ts';

export type PolicyScope = 'global' | 'product' | 'api' | 'operation';

/** One policy document, uncompiled. */
export interface PolicySource {
  /** Path of the policy.xml as loaded (the folder argument joined with the relative path). */
  file: string;
  scope: PolicyScope;
  /** The raw XML text, exactly as in the file. */
  xml: string;
  /** "service" for the global policy, the product or API id, or "<apiId>/<operationId>". */
  owner: string;
}

export interface PolicyFragmentSource {
  /** The fragment's folder name: what `<include-fragment fragment-id="…">` names. */
  id: string;
  file: string;
  xml: string;
}

export interface SubscriptionKeyParameterNames {
  header: string;
  query: string;
}

export interface QueryParameterSpec {
  name: string;
  required: boolean;
}

export interface OperationConfig {
  /** The OpenAPI operationId; also the name of its folder under operations/. */
  id: string;
  /** Upper case: GET, POST, … */
  method: string;
  /** Path template relative to the API path, e.g. /deployments/{deployment-id}/chat/completions. */
  urlTemplate: string;
  /** Names of the `{name}` template parameters, in order. */
  templateParameters: string[];
  /** Query parameters declared by the specification (not enforced by matching). */
  queryParameters: QueryParameterSpec[];
  policy?: PolicySource;
}

export interface ApiConfig {
  /** The API's folder name under apis/ (the APIM resource name, context.Api.Id). */
  id: string;
  displayName: string;
  /** URL suffix without leading or trailing slashes, e.g. "openai" ("" for the root). */
  path: string;
  serviceUrl?: string;
  protocols: string[];
  subscriptionRequired: boolean;
  subscriptionKeyParameterNames: SubscriptionKeyParameterNames;
  operations: OperationConfig[];
  policy?: PolicySource;
  /** The apiInformation.json this came from. */
  file: string;
  specificationFile: string;
}

export interface ProductConfig {
  /** The product's folder name under products/ (context.Product.Id). */
  id: string;
  displayName: string;
  subscriptionRequired: boolean;
  /** "published" or "notPublished" as written; the emulator does not act on it. */
  state?: string;
  /** API ids from apis.json; every one names a loaded API. */
  apis: string[];
  policy?: PolicySource;
  file: string;
}

export interface SingleBackendConfig {
  id: string;
  type: 'Single';
  /** Base URL; https://<resource>.openai.azure.com/… maps to the fleet resource <resource>. */
  url: string;
  circuitBreaker?: CircuitBreakerRule;
  file: string;
}

export interface PoolBackendConfig {
  id: string;
  type: 'Pool';
  /** Members with `id` reduced to the backend name (ARM ids and /backends/<name> accepted). */
  members: PoolMember[];
  circuitBreaker?: CircuitBreakerRule;
  file: string;
}

export type BackendConfig = SingleBackendConfig | PoolBackendConfig;

export type SubscriptionScope = { kind: 'all' } | { kind: 'product'; id: string } | { kind: 'api'; id: string };

export type SubscriptionState = 'active' | 'suspended' | 'submitted' | 'rejected' | 'cancelled' | 'expired';

export interface SubscriptionConfig {
  id: string;
  displayName: string;
  scope: SubscriptionScope;
  primaryKey: string;
  secondaryKey?: string;
  state: SubscriptionState;
}

export interface RegionConfig {
  /** As context.Deployment.Region reports it, e.g. "East US". */
  name: string;
  units: number;
  /** Listening port; absent means any free port. */
  port?: number;
  /** The first region listed is the primary. */
  primary: boolean;
}

export interface CapacityConfig {
  enabled: boolean;
  requestsPerSecondPerUnit: number;
  queueLength: number;
  queueTimeoutSeconds: number;
}

export interface FrontDoorOrigin {
  region: string;
  priority: number;
  weight: number;
  enabled: boolean;
}

export interface FrontDoorConfig {
  port?: number;
  probeIntervalSeconds: number;
  sampleSize: number;
  successfulSamplesRequired: number;
  probePath: string;
  probeMethod: 'HEAD' | 'GET';
  origins: FrontDoorOrigin[];
}

export interface GatewayConfig {
  /** The folder that was loaded. */
  dir: string;
  /** The emulator file that was loaded. */
  emulatorFile: string;
  apis: ApiConfig[];
  products: ProductConfig[];
  backends: Map<string, BackendConfig>;
  /** Named values by display name (the name `{{…}}` uses), secrets resolved from emulator.json. */
  namedValues: Map<string, string>;
  /** Display names of the secret (and Key Vault) named values: redact them in any output. */
  secretNamedValues: Set<string>;
  fragments: Map<string, PolicyFragmentSource>;
  /** The service-level policy (root policy.xml), when present. */
  globalPolicy?: PolicySource;
  /** Every policy document (global, product, API, operation), for compiling them all up front. */
  policies: PolicySource[];
  subscriptions: SubscriptionConfig[];
  regions: RegionConfig[];
  capacity: CapacityConfig;
  frontDoor?: FrontDoorConfig;
}
