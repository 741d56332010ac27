import { createHmac, createPublicKey, verify } from 'node:crypto';
import type { PolicyValue, ValidateJwtPolicy } from '../policy/policy-ast.ts';
import type { RequestState } from './request-state.ts';

/**
 * validate-jwt against keys configured in the policy: HMAC keys (base64 `<key>` text) and RSA
 * keys (modulus and exponent). That is enough for auth-failure drills: a missing, expired,
 * wrongly signed or wrongly addressed token is refused as APIM refuses it. Keys fetched from an
 * openid-config URL, certificates and encrypted tokens are not available offline; the compiler
 * rejects openid-config, and a certificate key never matches (documented).
 */
export type JwtOutcome = { ok: true } | { ok: false; status: number; message: string };

const hmacAlgorithms: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const rsaAlgorithms: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };

export function validateJwt(node: ValidateJwtPolicy, state: RequestState, text: (value: PolicyValue<unknown>) => string, value: (value: PolicyValue<boolean>) => unknown): JwtOutcome {
  const status = Number(node.failedValidationHttpCode.kind === 'literal' ? node.failedValidationHttpCode.value : text(node.failedValidationHttpCode));
  const fail = (message: string): JwtOutcome => ({ ok: false, status, message: node.failedValidationErrorMessage ? text(node.failedValidationErrorMessage) : message });
  const truthy = (v: PolicyValue<boolean>): boolean => {
    const raw = value(v);
    return raw === true || raw === 'true' || raw === 'True';
  };

  let token: string | undefined;
  if (node.tokenSource.from === 'header') {
    const header = state.requestHeaders.first(text(node.tokenSource.name));
    if (header !== undefined) {
      const scheme = node.requireScheme ? text(node.requireScheme) : null;
      const match = /^(\S+)\s+(\S+)$/.exec(header.trim());
      if (scheme !== null) token = match && match[1]!.toLowerCase() === scheme.toLowerCase() ? match[2] : undefined;
      else token = match ? match[2] : header.trim();
    }
  } else if (node.tokenSource.from === 'query') {
    token = state.backendQuery.get(text(node.tokenSource.name)) ?? undefined;
  } else {
    token = text(node.tokenSource.value) || undefined;
  }
  if (!token) return fail('JWT not present.');

  const parts = token.split('.');
  if (parts.length !== 3) return fail('JWT is not well formed.');
  let header: { alg?: string; kid?: string };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('JWT is not well formed.');
  }

  const signed = header.alg !== undefined && header.alg !== 'none';
  if (!signed && truthy(node.requireSignedTokens)) return fail('JWT is not signed.');
  if (signed && !signatureMatches(node, header, parts, text)) return fail('JWT signature is invalid.');

  const now = state.view().now() / 1000;
  const skew = Number(node.clockSkew.kind === 'literal' ? node.clockSkew.value : text(node.clockSkew));
  if (typeof claims.exp !== 'number') {
    if (truthy(node.requireExpirationTime)) return fail('JWT is missing expiration time.');
  } else if (claims.exp + skew < now) {
    return fail('JWT has expired.');
  }
  if (typeof claims.nbf === 'number' && claims.nbf - skew > now) return fail('JWT is not yet valid.');

  const audiences = node.audiences.map((a) => text(a));
  const tokenAudiences = Array.isArray(claims.aud) ? claims.aud.map(String) : claims.aud === undefined ? [] : [String(claims.aud)];
  if (audiences.length > 0 && !tokenAudiences.some((aud) => audiences.includes(aud))) return fail('JWT audience is not valid.');
  const issuers = node.issuers.map((i) => text(i));
  if (issuers.length > 0 && !issuers.includes(String(claims.iss ?? ''))) return fail('JWT issuer is not valid.');

  for (const claim of node.requiredClaims) {
    const raw = claims[claim.name];
    if (raw === undefined) return fail(`JWT is missing the required claim ${claim.name}.`);
    const present = Array.isArray(raw) ? raw.map(String) : claim.separator ? String(raw).split(claim.separator) : [String(raw)];
    const wanted = claim.values.map((v) => text(v));
    if (wanted.length === 0) continue;
    const ok = claim.match === 'any' ? wanted.some((w) => present.includes(w)) : wanted.every((w) => present.includes(w));
    if (!ok) return fail(`JWT claim ${claim.name} does not have the required value.`);
  }
  if (node.outputTokenVariableName) state.variables.set(node.outputTokenVariableName, token);
  return { ok: true };
}

function signatureMatches(node: ValidateJwtPolicy, header: { alg?: string; kid?: string }, parts: string[], text: (value: PolicyValue<unknown>) => string): boolean {
  const signingInput = `${parts[0]}.${parts[1]}`;
  const signature = Buffer.from(parts[2]!, 'base64url');
  const alg = header.alg ?? '';
  for (const key of node.signingKeys) {
    if (key.id !== null && header.kid !== undefined && key.id !== header.kid) continue;
    if (key.kind === 'base64' && hmacAlgorithms[alg]) {
      const expected = createHmac(hmacAlgorithms[alg], Buffer.from(text(key.value), 'base64')).update(signingInput).digest();
      if (expected.length === signature.length && expected.equals(signature)) return true;
    }
    if (key.kind === 'rsa' && rsaAlgorithms[alg]) {
      const publicKey = createPublicKey({ key: { kty: 'RSA', n: key.n, e: key.e }, format: 'jwk' });
      if (verify(rsaAlgorithms[alg], Buffer.from(signingInput), publicKey, signature)) return true;
    }
  }
  return false;
}
