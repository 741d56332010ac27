/**
 * `<validate-jwt>`. The emulator validates against locally configured keys only: fetching an
 * OpenID configuration (`<openid-config>`) would make a load test depend on an identity
 * provider, so it is a load-time problem rather than something skipped at run time.
 */
import { parseFlexibleDuration } from '../durations.ts';
import { ElementReader } from '../element-reader.ts';
import type { JwtKey, PolicyValue, RequiredClaim, ValidateJwtPolicy } from '../policy-ast.ts';
import { anyString, fromOptional, oneOf } from '../value-parsers.ts';
import type { LiteralParser } from '../value-parsers.ts';
import { nodeBase } from './element-compiler.ts';
import type { ElementCompiler } from './element-compiler.ts';

const base64: LiteralParser<string> = (text) =>
  /^[A-Za-z0-9+/\s]+={0,2}\s*$/.test(text) ? { ok: true, value: text.trim() } : { ok: false, message: 'expected a base64-encoded key' };

const base64Url: LiteralParser<string> = (text) =>
  /^[A-Za-z0-9_-]+$/.test(text.trim()) ? { ok: true, value: text.trim() } : { ok: false, message: `expected a base64url value, got "${text}"` };

/** clock-skew in seconds: whole seconds, a TimeSpan ("00:01:00") or ISO 8601 ("PT1M"). */
const clockSkewSeconds = fromOptional((t: string) => {
  const ms = parseFlexibleDuration(t);
  return ms === undefined || ms < 0 ? undefined : ms / 1000;
}, 'seconds or a duration such as 00:05:00');

export const compileValidateJwt: ElementCompiler = (r): ValidateJwtPolicy | null => {
  const base = nodeBase(r);
  const sources = ['header-name', 'query-parameter-name', 'token-value'].filter((a) => r.has(a));
  const headerName = r.string('header-name');
  const queryName = r.string('query-parameter-name');
  const tokenValue = r.string('token-value');
  if (sources.length === 0) r.problem('missing-attribute', r.element.start, "missing required attribute: one of 'header-name', 'query-parameter-name' or 'token-value'");
  if (sources.length > 1) r.problem('invalid-structure', r.element.start, `specify only one of 'header-name', 'query-parameter-name' or 'token-value', found ${sources.map((s) => `'${s}'`).join(' and ')}`);
  const failedValidationHttpCode = r.int('failed-validation-httpcode', 100, 599) ?? r.fallback('401', 401);
  const failedValidationErrorMessage = r.string('failed-validation-error-message');
  const requireExpirationTime = r.bool('require-expiration-time') ?? r.fallback('true', true);
  const requireScheme = r.string('require-scheme');
  const requireSignedTokens = r.bool('require-signed-tokens') ?? r.fallback('true', true);
  const clockSkew = r.value('clock-skew', { parse: clockSkewSeconds, kind: 'number' }) ?? r.fallback('0', 0);
  const outputTokenVariableName = r.literalString('output-token-variable-name');

  const signingKeys: JwtKey[] = [];
  const decryptionKeys: JwtKey[] = [];
  const audiences: PolicyValue[] = [];
  const issuers: PolicyValue[] = [];
  const requiredClaims: RequiredClaim[] = [];
  for (const child of r.children()) {
    const c = new ElementReader(r.ctx, child);
    switch (child.name) {
      case 'openid-config':
        c.problem('unsupported-element', child.start, 'not supported: the emulator validates against locally configured keys only (use <issuer-signing-keys>)');
        continue;
      case 'issuer-signing-keys':
        signingKeys.push(...listOf(c, 'key', (k) => compileKey(k, true)));
        break;
      case 'decryption-keys':
        decryptionKeys.push(...listOf(c, 'key', (k) => compileKey(k, false)));
        break;
      case 'audiences':
        audiences.push(...listOf(c, 'audience', (a) => a.text({ trim: true, parse: anyString, kind: 'string' })));
        break;
      case 'issuers':
        issuers.push(...listOf(c, 'issuer', (i) => i.text({ trim: true, parse: anyString, kind: 'string' })));
        break;
      case 'required-claims':
        requiredClaims.push(...listOf(c, 'claim', compileClaim));
        break;
      default:
        c.problem('invalid-structure', child.start, `unknown child element <${child.name}> of <validate-jwt>`);
        continue;
    }
    c.finish();
  }
  if (sources.length !== 1) return null;
  const tokenSource = headerName
    ? ({ from: 'header', name: headerName } as const)
    : queryName
      ? ({ from: 'query', name: queryName } as const)
      : tokenValue
        ? ({ from: 'value', value: tokenValue } as const)
        : null;
  if (!tokenSource) return null;
  return {
    ...base,
    kind: 'validate-jwt',
    tokenSource,
    failedValidationHttpCode,
    failedValidationErrorMessage,
    requireExpirationTime,
    requireScheme,
    requireSignedTokens,
    clockSkew,
    outputTokenVariableName,
    signingKeys,
    decryptionKeys,
    audiences,
    issuers,
    requiredClaims,
  };
};

/** Compiles the `<item>` children of a list element, reporting anything else. */
function listOf<T>(list: ElementReader, item: string, compile: (reader: ElementReader) => T | null): T[] {
  const out: T[] = [];
  for (const child of list.children()) {
    const c = new ElementReader(list.ctx, child);
    if (child.name !== item) {
      c.problem('invalid-structure', child.start, `<${list.name}> may only contain <${item}> elements, found <${child.name}>`);
      continue;
    }
    const v = compile(c);
    c.finish();
    if (v !== null) out.push(v);
  }
  return out;
}

function compileKey(k: ElementReader, signing: boolean): JwtKey | null {
  const id = signing ? k.literalString('id') : null;
  const certificateId = k.literalString('certificate-id');
  const n = signing ? k.literal('n', base64Url) : null;
  const e = signing ? k.literal('e', base64Url) : null;
  const hasText = k.element.content.length > 0;
  const forms = [certificateId !== null || k.has('certificate-id'), k.has('n') || k.has('e'), hasText].filter(Boolean).length;
  if (forms === 0) {
    k.problem('invalid-structure', k.element.start, '<key> needs a base64 key as its text, a certificate-id, or n and e');
    return null;
  }
  if (forms > 1) {
    k.problem('invalid-structure', k.element.start, '<key> takes exactly one of: base64 text, certificate-id, or n and e');
    return null;
  }
  if (k.has('n') !== k.has('e')) {
    k.problem('missing-attribute', k.element.start, "RSA keys need both 'n' (modulus) and 'e' (exponent)");
    return null;
  }
  if (certificateId !== null) return { at: k.at, kind: 'certificate', certificateId, id };
  if (n !== null && e !== null) return { at: k.at, kind: 'rsa', n, e, id };
  if (!hasText) return null;
  const value = k.text({ trim: true, parse: base64, kind: 'string' });
  return value ? { at: k.at, kind: 'base64', value, id } : null;
}

function compileClaim(c: ElementReader): RequiredClaim | null {
  const name = c.literalString('name', { required: true });
  const match = c.literal('match', oneOf(['all', 'any'] as const)) ?? 'all';
  const separator = c.literalString('separator');
  const values = listOf(c, 'value', (v) => v.text({ trim: true, parse: anyString, kind: 'string' }));
  if (name === null) return null;
  return { at: c.at, name, match, separator, values };
}

