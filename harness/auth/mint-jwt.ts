import { createHmac, randomBytes } from 'node:crypto';
import type { TokenFlaw } from '../contracts/scenario-plan.ts';

/**
 * HS256 JSON Web Tokens for load tests, minted with node:crypto (a JWT library would add a
 * dependency for three base64url segments and one HMAC). A token is either good or broken in
 * exactly one way, the ways a gateway's validate-jwt must refuse: expired, addressed to another
 * audience, unsigned (`alg: none`), or signed with another key.
 *
 * Tokens and keys are secrets: nothing here logs, and no error quotes a key or a token.
 */

export interface TokenRequest {
  issuer: string;
  audience: string;
  /** The `sub` claim: who the token stands for (the traffic class's consumer). */
  subject: string;
  /** The `scp` claim (space-separated scopes, as Entra ID issues them); absent: none. */
  scope?: string;
  /** The HMAC key, as raw bytes. */
  signingKey: Buffer;
  flaw: TokenFlaw;
  /** Seconds since the epoch when the token is minted (the harness's clock). */
  nowSeconds: number;
  /** How long a good token stays valid; it must outlast the run it is sent in. */
  lifetimeSeconds: number;
}

/** An expired token expired this long ago: beyond any clock skew a gateway allows (APIM's default is 0). */
export const expiredSinceSeconds = 3600;

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** The audience a wrong-audience token carries: never the one asked for. */
export function wrongAudience(audience: string): string {
  return `${audience.replace(/\/+$/, '')}/not-this-api`;
}

export function mintToken(request: TokenRequest): string {
  const { flaw, nowSeconds } = request;
  const issuedAt = flaw === 'expired' ? nowSeconds - expiredSinceSeconds - request.lifetimeSeconds : nowSeconds;
  const claims: Record<string, unknown> = {
    iss: request.issuer,
    aud: flaw === 'wrong-audience' ? wrongAudience(request.audience) : request.audience,
    sub: request.subject,
    iat: issuedAt,
    nbf: issuedAt,
    exp: flaw === 'expired' ? nowSeconds - expiredSinceSeconds : nowSeconds + request.lifetimeSeconds,
    ...(request.scope !== undefined ? { scp: request.scope } : {}),
  };
  if (flaw === 'unsigned') return `${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims)}.`;
  const signingInput = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment(claims)}`;
  // Another key of the same length: a token signed before a key rotation, or by someone else.
  const key = flaw === 'bad-signature' ? otherKey(request.signingKey) : request.signingKey;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

function otherKey(key: Buffer): Buffer {
  let other = randomBytes(Math.max(32, key.length));
  while (other.equals(key)) other = randomBytes(other.length);
  return other;
}

/** HS256 wants a key of at least the hash's size (RFC 7518 3.2): 32 bytes. */
export const minimumKeyBytes = 32;

/**
 * The raw key from its base64 text (the form APIM's `<issuer-signing-keys><key>` takes), or a
 * reason it is not one; the reason never quotes the text.
 */
export function decodeSigningKey(base64: string): { ok: true; key: Buffer } | { ok: false; reason: string } {
  const text = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return { ok: false, reason: 'is not base64 (the form validate-jwt\'s <key> takes)' };
  const key = Buffer.from(text, 'base64');
  if (key.length < minimumKeyBytes) return { ok: false, reason: `is ${key.length} bytes; HS256 needs at least ${minimumKeyBytes} (RFC 7518 3.2)` };
  return { ok: true, key };
}
