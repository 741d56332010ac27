import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSigningKey, expiredSinceSeconds, mintToken, minimumKeyBytes, wrongAudience, type TokenRequest } from './mint-jwt.ts';

const key = Buffer.alloc(32, 7);
const request: TokenRequest = { issuer: 'https://login.spillway.test/drill/v2.0', audience: 'api://spillway-ai-gateway', subject: 'batch-reports', scope: 'Data.Read', signingKey: key, flaw: 'none', nowSeconds: 1_800_000_000, lifetimeSeconds: 100 };

function decode(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string; signingInput: string } {
  const [header, claims, signature] = token.split('.');
  return { header: JSON.parse(Buffer.from(header!, 'base64url').toString()), claims: JSON.parse(Buffer.from(claims!, 'base64url').toString()), signature: signature!, signingInput: `${header}.${claims}` };
}
const hs256 = (input: string, k: Buffer): string => createHmac('sha256', k).update(input).digest('base64url');

describe('mintToken', () => {
  it('mints a good HS256 token: the claims asked for, valid from now for its lifetime, signed with the key', () => {
    const token = decode(mintToken(request));
    expect(token.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(token.claims).toEqual({ iss: request.issuer, aud: request.audience, sub: 'batch-reports', scp: 'Data.Read', iat: 1_800_000_000, nbf: 1_800_000_000, exp: 1_800_000_100 });
    expect(token.signature).toBe(hs256(token.signingInput, key));
  });

  it('breaks a token in exactly the way asked, and in no other', () => {
    const expired = decode(mintToken({ ...request, flaw: 'expired' }));
    expect(expired.claims.exp).toBe(1_800_000_000 - expiredSinceSeconds);
    expect(expired.claims.aud).toBe(request.audience);
    expect(expired.signature).toBe(hs256(expired.signingInput, key));

    const audience = decode(mintToken({ ...request, flaw: 'wrong-audience' }));
    expect(audience.claims.aud).toBe(wrongAudience(request.audience));
    expect(audience.claims.aud).not.toBe(request.audience);
    expect(audience.claims.exp).toBe(1_800_000_100);
    expect(audience.signature).toBe(hs256(audience.signingInput, key));

    const unsigned = decode(mintToken({ ...request, flaw: 'unsigned' }));
    expect(unsigned.header).toEqual({ alg: 'none', typ: 'JWT' });
    expect(unsigned.signature).toBe('');
    expect(unsigned.claims.aud).toBe(request.audience);

    const badSignature = decode(mintToken({ ...request, flaw: 'bad-signature' }));
    expect(badSignature.header.alg).toBe('HS256');
    expect(badSignature.signature).not.toBe(hs256(badSignature.signingInput, key));
    expect(badSignature.claims).toEqual(decode(mintToken(request)).claims);
  });

  it('leaves out scp when no scope is asked for', () => {
    const { scope: _scope, ...withoutScope } = request;
    expect(decode(mintToken(withoutScope)).claims).not.toHaveProperty('scp');
  });
});

describe('decodeSigningKey', () => {
  it('decodes a base64 key of at least 32 bytes, as validate-jwt takes it', () => {
    const decoded = decodeSigningKey(` ${key.toString('base64')}\n`);
    expect(decoded).toEqual({ ok: true, key });
  });

  it('refuses text that is not base64, or a key too short for HS256, without quoting it', () => {
    const notBase64 = decodeSigningKey('secret key!');
    expect(notBase64).toEqual({ ok: false, reason: expect.stringMatching(/is not base64/) });
    const short = decodeSigningKey(Buffer.alloc(minimumKeyBytes - 1, 1).toString('base64'));
    expect(short).toEqual({ ok: false, reason: `is 31 bytes; HS256 needs at least 32 (RFC 7518 3.2)` });
    expect(JSON.stringify([notBase64, short])).not.toContain('secret');
  });
});
