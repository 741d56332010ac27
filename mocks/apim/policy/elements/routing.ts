/** `<set-backend-service>`, `<rewrite-uri>` and `<forward-request>`: where and how the request goes. */
import type { ForwardRequestPolicy, HttpVersion, RewriteUriPolicy, SetBackendServicePolicy } from '../policy-ast.ts';
import { boolean, oneOf } from '../value-parsers.ts';
import { nodeBase } from './element-compiler.ts';
import type { ElementCompiler } from './element-compiler.ts';

const SERVICE_FABRIC = 'Service Fabric backends cannot be emulated';
const DAPR = 'Dapr backends cannot be emulated';

export const compileSetBackendService: ElementCompiler = (r): SetBackendServicePolicy | null => {
  const base = nodeBase(r);
  for (const a of ['sf-resolve-condition', 'sf-service-instance-name', 'sf-partition-key', 'sf-replica-type', 'sf-listener-name']) r.unsupportedAttribute(a, SERVICE_FABRIC);
  for (const a of ['dapr-app-id', 'dapr-method', 'dapr-namespace']) r.unsupportedAttribute(a, DAPR);
  const hasId = r.has('backend-id');
  const hasUrl = r.has('base-url');
  const backendId = r.string('backend-id');
  const baseUrl = r.string('base-url');
  r.noContent();
  if (hasId && hasUrl) {
    r.problem('invalid-structure', r.element.start, "specify either 'base-url' or 'backend-id', not both");
    return null;
  }
  if (!hasId && !hasUrl) {
    r.problem('missing-attribute', r.element.start, "missing required attribute: one of 'base-url' or 'backend-id'");
    return null;
  }
  if (baseUrl?.kind === 'literal' && !isHttpUrl(baseUrl.value)) {
    r.problem('invalid-value', r.element.start, `invalid value for attribute 'base-url': expected an absolute http(s) URL, got "${baseUrl.value}"`);
    return null;
  }
  if (backendId?.kind === 'literal' && backendId.value.trim() === '') {
    r.problem('invalid-value', r.element.start, "attribute 'backend-id' must not be empty");
    return null;
  }
  if (!backendId && !baseUrl) return null;
  return { ...base, kind: 'set-backend-service', backendId, baseUrl };
};

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export const compileRewriteUri: ElementCompiler = (r): RewriteUriPolicy | null => {
  const base = nodeBase(r);
  const template = r.string('template', { required: true });
  const copyUnmatchedParams = r.literal('copy-unmatched-params', boolean) ?? true;
  r.noContent();
  if (!template) return null;
  return { ...base, kind: 'rewrite-uri', template, copyUnmatchedParams };
};

const HTTP_VERSIONS: readonly HttpVersion[] = ['1', '2', '2or1'];

export const compileForwardRequest: ElementCompiler = (r): ForwardRequestPolicy | null => {
  const base = nodeBase(r);
  const seconds = r.int('timeout', 0, Number.MAX_SAFE_INTEGER);
  const millis = r.int('timeout-ms', 0, Number.MAX_SAFE_INTEGER);
  if (r.has('timeout') && r.has('timeout-ms')) r.problem('invalid-structure', r.element.start, "specify either 'timeout' or 'timeout-ms', not both");
  const continueTimeout = r.int('continue-timeout', 0, Number.MAX_SAFE_INTEGER);
  const httpVersion = r.literal('http-version', oneOf(HTTP_VERSIONS)) ?? '1';
  const followRedirects = r.bool('follow-redirects') ?? r.fallback('false', false);
  const bufferRequestBody = r.literal('buffer-request-body', boolean) ?? false;
  const bufferResponse = r.literal('buffer-response', boolean) ?? true;
  const failOnErrorStatusCode = r.literal('fail-on-error-status-code', boolean) ?? false;
  r.noContent();
  const timeout = millis ?? seconds ?? r.fallback('300', 300);
  const timeoutUnit = millis ? 'milliseconds' : 'seconds';
  return { ...base, kind: 'forward-request', timeout, timeoutUnit, continueTimeout, httpVersion, followRedirects, bufferRequestBody, bufferResponse, failOnErrorStatusCode };
};
