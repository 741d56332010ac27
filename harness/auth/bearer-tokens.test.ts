import { describe, expect, it } from 'vitest';
import { scenarioPlanSchema, type ScenarioPlan } from '../contracts/scenario-plan.ts';
import { BearerTokenError, bearerTokenVariables, resolveBearerTokens, type BearerTokenSources } from './bearer-tokens.ts';

const key = Buffer.alloc(32, 9).toString('base64');
const minted = { kind: 'minted', issuer: 'https://issuer.test', audience: 'api://gateway', signingKey: { namedValue: 'jwt-signing-key' } };

function plan(traffic: Record<string, unknown>[]): ScenarioPlan {
  return { ...scenarioPlanSchema.parse({ description: 'test', durationSeconds: 30, traffic: traffic.map((t) => ({ consumer: 'user-facing', ratePerUnit: 1, ...t })) }), name: 'auth' };
}
const sources = (over: Partial<BearerTokenSources> = {}): BearerTokenSources => ({ env: {}, namedValues: () => new Map([['jwt-signing-key', key]]), nowSeconds: 1_800_000_000, where: 'k6.config.json: scenarios.auth.', ...over });
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BearerTokenError);
    return (error as Error).message;
  }
  throw new Error('expected a BearerTokenError');
}

describe('resolveBearerTokens', () => {
  it('gives each class its token: none, minted with the named value (good, or broken as asked), or read from the environment', () => {
    const tokens = resolveBearerTokens(plan([{}, { bearerToken: minted }, { bearerToken: { ...minted, flaw: 'expired' } }, { bearerToken: { kind: 'env', variable: 'ENTRA_TOKEN' } }]), sources({ env: { ENTRA_TOKEN: ' eyJ0.eyJ1.sig \n' } }));
    expect(tokens[0]).toBeNull();
    expect(claimsOf(tokens[1]!)).toMatchObject({ aud: 'api://gateway', iss: 'https://issuer.test', sub: 'user-facing', exp: 1_800_000_000 + 30 + 600 });
    expect(claimsOf(tokens[2]!).exp as number).toBeLessThan(1_800_000_000);
    expect(tokens[3]).toBe('eyJ0.eyJ1.sig');
  });

  it('mints with a key from an environment variable as with a named value', () => {
    const [fromEnv] = resolveBearerTokens(plan([{ bearerToken: { ...minted, signingKey: { env: 'JWT_KEY' } } }]), sources({ env: { JWT_KEY: key }, namedValues: null }));
    const [fromNamedValue] = resolveBearerTokens(plan([{ bearerToken: minted }]), sources());
    expect(fromEnv).toBe(fromNamedValue);
  });

  it('reads the named values only when a class names one', () => {
    let reads = 0;
    resolveBearerTokens(plan([{}, { bearerToken: { kind: 'env', variable: 'T' } }]), sources({ env: { T: 'abc' }, namedValues: () => (reads++, new Map()) }));
    expect(reads).toBe(0);
  });

  it('lists every problem with its field, never a key or a token', () => {
    const message = errorOf(() =>
      resolveBearerTokens(
        plan([
          { bearerToken: { kind: 'env', variable: 'MISSING_TOKEN' } },
          { bearerToken: { kind: 'env', variable: 'SPACED_TOKEN' } },
          { bearerToken: { ...minted, signingKey: { namedValue: 'nope' } } },
          { bearerToken: { ...minted, signingKey: { env: 'SHORT_KEY' } } },
          { bearerToken: { ...minted, signingKey: { env: 'UNSET_KEY' } } },
        ]),
        sources({ env: { SPACED_TOKEN: 'secret token', SHORT_KEY: Buffer.from('secret-short').toString('base64') } }),
      ),
    );
    for (const expected of [
      'k6.config.json: scenarios.auth.traffic.0.bearerToken.variable: the environment variable MISSING_TOKEN is not set',
      'k6.config.json: scenarios.auth.traffic.1.bearerToken.variable: the value of SPACED_TOKEN is not a bearer token',
      'k6.config.json: scenarios.auth.traffic.2.bearerToken.signingKey.namedValue: "nope" is not a named value of the gateway configuration (it has jwt-signing-key)',
      'k6.config.json: scenarios.auth.traffic.3.bearerToken.signingKey: the environment variable SHORT_KEY is 12 bytes; HS256 needs at least 32',
      'k6.config.json: scenarios.auth.traffic.4.bearerToken.signingKey.env: the environment variable UNSET_KEY is not set',
    ]) {
      expect(message).toContain(expected);
    }
    expect(message).not.toContain('secret');
    expect(message).not.toContain(key);
  });

  it('refuses a named value where the run has no gateway configuration of its own', () => {
    expect(errorOf(() => resolveBearerTokens(plan([{ bearerToken: minted }]), sources({ namedValues: null })))).toMatch(/traffic\.0\.bearerToken\.signingKey\.namedValue: this run has no gateway configuration of its own .*\(signingKey\.env\)/);
  });
});

describe('bearerTokenVariables', () => {
  it('names the variables holding tokens or keys once each, for k6 not to inherit them', () => {
    expect(bearerTokenVariables(plan([{}, { bearerToken: { kind: 'env', variable: 'T' } }, { bearerToken: { ...minted, signingKey: { env: 'K' } } }, { bearerToken: { kind: 'env', variable: 'T' } }, { bearerToken: minted }]))).toEqual(['T', 'K']);
  });
});

describe('the plan schema of bearerToken', () => {
  const issues = (bearerToken: unknown): string[] =>
    scenarioPlanSchema.safeParse({ description: 'x', durationSeconds: 1, traffic: [{ consumer: 'c', ratePerUnit: 1, bearerToken }] }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

  it('defaults the flaw to none and accepts each kind', () => {
    expect(scenarioPlanSchema.parse({ description: 'x', durationSeconds: 1, traffic: [{ consumer: 'c', ratePerUnit: 1, bearerToken: minted }] }).traffic[0]!.bearerToken).toMatchObject({ flaw: 'none' });
    expect(issues({ kind: 'env', variable: 'ENTRA_TOKEN' })).toEqual([]);
  });

  it('names the JSON path of every bad field', () => {
    expect(issues({ ...minted, flaw: 'forged' })).toEqual([expect.stringMatching(/^traffic\.0\.bearerToken\.flaw: /)]);
    expect(issues({ ...minted, audience: '' })).toEqual([expect.stringMatching(/^traffic\.0\.bearerToken\.audience: /)]);
    expect(issues({ ...minted, issuer: undefined })).toEqual([expect.stringMatching(/^traffic\.0\.bearerToken\.issuer: /)]);
    expect(issues({ ...minted, signingKey: {} })).toEqual(['traffic.0.bearerToken.signingKey: give exactly one of namedValue (a named value of the gateway configuration) or env (a variable holding the key in base64)']);
    expect(issues({ ...minted, signingKey: { namedValue: 'a', env: 'B' } })).toHaveLength(1);
    expect(issues({ ...minted, signingKey: { base64: 'abc' } })).toContain('traffic.0.bearerToken.signingKey: Unrecognized key: "base64"');
    expect(issues({ kind: 'env', variable: 'lower-case' })).toEqual([expect.stringMatching(/^traffic\.0\.bearerToken\.variable: an environment variable name/)]);
    expect(issues({ kind: 'env', variable: 'T', token: 'abc' })).toEqual([expect.stringMatching(/^traffic\.0\.bearerToken: /)]);
    expect(issues({ kind: 'entra' })).toEqual([expect.stringMatching(/^traffic\.0\.bearerToken\.kind: /)]);
  });
});
