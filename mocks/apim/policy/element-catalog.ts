/**
 * Which policy elements exist in APIM, which of them the emulator runs, and in which sections
 * APIM allows each. Kept as data in one place so `gateway check` wording ("unknown" versus
 * "not supported by the emulator") and placement rules cannot drift apart between compilers.
 * Sections are from each policy's "Usage" paragraph on learn.microsoft.com.
 */
import type { PolicyKind, SectionName } from './policy-ast.ts';

export const ALL_SECTIONS: readonly SectionName[] = ['inbound', 'backend', 'outbound', 'on-error'];

/** Sections APIM allows each supported policy in. include-fragment is checked per fragment content. */
export const ALLOWED_SECTIONS: Readonly<Record<PolicyKind | 'include-fragment', readonly SectionName[]>> = {
  base: ALL_SECTIONS,
  choose: ALL_SECTIONS,
  retry: ALL_SECTIONS,
  'include-fragment': ALL_SECTIONS,
  'set-variable': ALL_SECTIONS,
  'set-header': ALL_SECTIONS,
  'set-query-parameter': ['inbound', 'backend'],
  'set-backend-service': ['inbound', 'backend'],
  'rewrite-uri': ['inbound'],
  'forward-request': ['backend'],
  'rate-limit-by-key': ['inbound'],
  'quota-by-key': ['inbound'],
  'llm-token-limit': ['inbound'],
  'azure-openai-token-limit': ['inbound'],
  'return-response': ALL_SECTIONS,
  'set-status': ALL_SECTIONS,
  'set-body': ['inbound', 'backend', 'outbound'],
  'check-header': ['inbound'],
  'ip-filter': ['inbound'],
  'validate-jwt': ['inbound'],
  'authentication-managed-identity': ['inbound'],
  'llm-emit-token-metric': ['inbound'],
  'azure-openai-emit-token-metric': ['inbound'],
};

/**
 * Real APIM policies the emulator does not run. Listing them lets a user tell a typo (unknown
 * element) from a gap (unsupported), and lets `gateway check` say what would not be emulated.
 */
export const UNSUPPORTED_ELEMENTS: ReadonlySet<string> = new Set([
  // caching
  'cache-lookup', 'cache-store', 'cache-lookup-value', 'cache-store-value', 'cache-remove-value',
  'llm-semantic-cache-lookup', 'llm-semantic-cache-store', 'azure-openai-semantic-cache-lookup', 'azure-openai-semantic-cache-store',
  // rate limiting by subscription, concurrency
  'rate-limit', 'quota', 'limit-concurrency',
  // AI
  'llm-content-safety',
  // authentication
  'authentication-basic', 'authentication-certificate', 'get-authorization-context', 'validate-azure-ad-token', 'validate-client-certificate',
  // validation
  'validate-content', 'validate-parameters', 'validate-headers', 'validate-status-code', 'validate-odata-request', 'validate-graphql-request',
  // transformation
  'find-and-replace', 'json-to-xml', 'xml-to-json', 'xsl-transform', 'mock-response', 'set-method', 'proxy',
  // cross domain
  'cors', 'jsonp', 'cross-domain',
  // external calls, logging
  'send-request', 'send-one-way-request', 'log-to-eventhub', 'trace', 'emit-metric',
  // control flow
  'wait',
  // Dapr, GraphQL resolvers
  'publish-to-dapr', 'invoke-dapr-binding', 'set-graphql-resolver', 'http-data-source', 'sql-data-source', 'cosmosdb-data-source', 'publish-event',
]);

/** Every element name that may appear where a policy is expected, for "did you mean" hints. */
export function knownPolicyNames(): string[] {
  return [...Object.keys(ALLOWED_SECTIONS), ...UNSUPPORTED_ELEMENTS];
}

export function allowedIn(kind: PolicyKind | 'include-fragment', section: SectionName): boolean {
  return ALLOWED_SECTIONS[kind].includes(section);
}

export function sectionsText(kind: PolicyKind | 'include-fragment'): string {
  return ALLOWED_SECTIONS[kind].join(', ');
}
