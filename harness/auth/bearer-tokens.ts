import { UserFacingError } from '../contracts/user-facing-error.ts';
import type { BearerTokenSpec, ScenarioPlan } from '../contracts/scenario-plan.ts';
import { decodeSigningKey, mintToken } from './mint-jwt.ts';

/**
 * The bearer token each traffic class of a plan sends (null: none), resolved before anything
 * starts: minted with the signing key the plan names, or read from the environment variable it
 * names. The tokens then travel to k6 as the subscription keys do, in SPILLWAY_PLAN in k6's
 * environment only (harness/run/run-scenario.ts): never in the plan the journal records, a log
 * line or a report. Every error names the plan's field and the variable or named value, never
 * a key or a token.
 */
export class BearerTokenError extends UserFacingError {}

export interface BearerTokenSources {
  /** The harness's environment. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * The named values of the embedded gateway's configuration, by display name (read only when a
   * class names one); null when the run has no configuration of its own (a gateway at a URL).
   */
  namedValues: (() => ReadonlyMap<string, string>) | null;
  /** Seconds since the epoch (the tokens' iat). */
  nowSeconds: number;
  /** Where the plan's fields are, before `traffic.N...`: e.g. `k6.config.json: scenarios.smoke.`. */
  where: string;
}

/** A good token outlasts the run by this much (k6 starts a few seconds after the tokens are minted). */
const lifetimeMarginSeconds = 600;

export function resolveBearerTokens(plan: ScenarioPlan, sources: BearerTokenSources): (string | null)[] {
  const problems: string[] = [];
  let namedValues: ReadonlyMap<string, string> | undefined;
  const tokens = plan.traffic.map((traffic, index) => {
    const spec = traffic.bearerToken;
    if (!spec) return null;
    const field = `${sources.where}traffic.${index}.bearerToken`;
    if (spec.kind === 'env') {
      const token = sources.env[spec.variable];
      if (token === undefined || token.trim() === '') {
        problems.push(`${field}.variable: the environment variable ${spec.variable} is not set (it holds the bearer token ${traffic.consumer} sends)`);
        return null;
      }
      // k6 sends it in a header: a token with a line break or a space would be refused or worse.
      if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token.trim())) {
        problems.push(`${field}.variable: the value of ${spec.variable} is not a bearer token (letters, digits and - . _ ~ + / =, no spaces)`);
        return null;
      }
      return token.trim();
    }
    const key = signingKeyOf(spec, field, sources, () => (namedValues ??= sources.namedValues!()), problems);
    if (key === null) return null;
    return mintToken({
      issuer: spec.issuer,
      audience: spec.audience,
      subject: traffic.consumer,
      ...(spec.scope !== undefined ? { scope: spec.scope } : {}),
      signingKey: key,
      flaw: spec.flaw,
      nowSeconds: sources.nowSeconds,
      lifetimeSeconds: plan.durationSeconds + lifetimeMarginSeconds,
    });
  });
  if (problems.length > 0) throw new BearerTokenError(`the plan's bearer tokens cannot be made:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return tokens;
}

function signingKeyOf(spec: Extract<BearerTokenSpec, { kind: 'minted' }>, field: string, sources: BearerTokenSources, namedValues: () => ReadonlyMap<string, string>, problems: string[]): Buffer | null {
  let text: string | undefined;
  let what: string;
  if (spec.signingKey.namedValue !== undefined) {
    const name = spec.signingKey.namedValue;
    what = `the named value "${name}"`;
    if (sources.namedValues === null) {
      problems.push(`${field}.signingKey.namedValue: this run has no gateway configuration of its own to read "${name}" from (a gateway at a URL); give the key in an environment variable (signingKey.env) instead`);
      return null;
    }
    const values = namedValues();
    text = values.get(name);
    if (text === undefined) {
      problems.push(`${field}.signingKey.namedValue: "${name}" is not a named value of the gateway configuration (it has ${values.size === 0 ? 'none' : [...values.keys()].join(', ')})`);
      return null;
    }
  } else {
    const variable = spec.signingKey.env!;
    what = `the environment variable ${variable}`;
    text = sources.env[variable];
    if (text === undefined || text.trim() === '') {
      problems.push(`${field}.signingKey.env: the environment variable ${variable} is not set (it holds the HS256 signing key in base64)`);
      return null;
    }
  }
  const decoded = decodeSigningKey(text);
  if (!decoded.ok) {
    problems.push(`${field}.signingKey: ${what} ${decoded.reason}`);
    return null;
  }
  return decoded.key;
}

/** The variables holding tokens or keys: k6 gets the tokens in its plan, never these variables. */
export function bearerTokenVariables(plan: ScenarioPlan): string[] {
  return [
    ...new Set(
      plan.traffic.flatMap((t) => {
        const spec = t.bearerToken;
        if (!spec) return [];
        if (spec.kind === 'env') return [spec.variable];
        return spec.signingKey.env !== undefined ? [spec.signingKey.env] : [];
      }),
    ),
  ];
}
