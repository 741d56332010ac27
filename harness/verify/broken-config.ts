/**
 * Copies of the sample APIOps configuration (deploy/apim) broken in exactly one way each, for
 * the end-to-end drills that show a verifier fails against a gateway broken the way it checks
 * for (broken-gateways.e2e.test.ts). Each breakage is a small, explicit edit of one file that
 * models a real-world mistake; an edit that does not find its target throws, so a change to
 * the sample cannot silently turn a drill into a run of the correct configuration.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGatewayConfigDir } from '../run/run-scenario.ts';

export type Breakage = (configDir: string) => void;

/** Every backend entity in front of East US's PTU resources: the medium pool's members and the high lane's. */
const eastUsPtuEntities = ['aoai-eastus-ptu1', 'aoai-eastus-ptu2', 'aoai-eastus-ptu1-high', 'aoai-eastus-ptu2-high'];

/** A fresh copy of the sample (or `from`) in a temp dir, with `breakage` applied; returns its path. */
export function brokenConfig(breakage: Breakage, from: string = defaultGatewayConfigDir, parent: string = tmpdir()): string {
  const dir = join(mkdtempSync(join(parent, 'spillway-broken-')), 'apim');
  cpSync(from, dir, { recursive: true });
  breakage(dir);
  return dir;
}

function editText(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`${file}: expected exactly one "${from}" to replace, found ${count}`);
  writeFileSync(file, text.replace(from, to));
}

function editJson(file: string, edit: (json: any) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  edit(json);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

const backendFile = (dir: string, backend: string): string => join(dir, 'backends', backend, 'backendInformation.json');
const fragmentFile = (dir: string, fragment: string): string => join(dir, 'policy fragments', fragment, 'policy.xml');

/**
 * The PTU backends of East US (both lanes) have no circuit breaker: a backend deployed from a template
 * that omitted the `circuitBreaker` block (or a portal edit that dropped it), so a failing
 * PTU keeps receiving traffic.
 */
export const withoutPtuCircuitBreakers: Breakage = (dir) => {
  for (const backend of eastUsPtuEntities) {
    editJson(backendFile(dir, backend), (json) => {
      if (!json.properties.circuitBreaker) throw new Error(`${backend} has no circuitBreaker to remove`);
      delete json.properties.circuitBreaker;
    });
  }
};

/**
 * The East US PTU breakers (both lanes) trip for a fifth of their agreed duration (PT1S where
 * PT5S was agreed, PT6S for PT30S): a duration copied from a test environment, so a failing
 * backend is retried long before it recovers.
 */
export const shortPtuTripDuration: Breakage = (dir) => {
  const shorter: Record<string, string> = { PT5S: 'PT1S', PT30S: 'PT6S' };
  for (const backend of eastUsPtuEntities) {
    editJson(backendFile(dir, backend), (json) => {
      const rule = json.properties.circuitBreaker.rules[0];
      const to = shorter[String(rule.tripDuration)];
      if (!to) throw new Error(`${backend}: tripDuration is ${String(rule.tripDuration)}, not PT5S or PT30S`);
      rule.tripDuration = to;
    });
  }
};

/**
 * The East US PTU breakers trip for 5 minutes: a tripDuration of PT5M (minutes where seconds
 * were meant), so a backend that recovered in seconds stays out of the pool.
 */
export const longPtuTripDuration: Breakage = (dir) => {
  for (const backend of eastUsPtuEntities) {
    editJson(backendFile(dir, backend), (json) => {
      const rule = json.properties.circuitBreaker.rules[0];
      if (rule.tripDuration !== 'PT5S' && rule.tripDuration !== 'PT30S') throw new Error(`${backend}: tripDuration is ${String(rule.tripDuration)}, not PT5S or PT30S`);
      rule.tripDuration = 'PT5M';
    });
  }
};

/**
 * The East US PTU breakers (both lanes) open after 1 failure instead of 3: a count lowered "to
 * be safe", so one transient error takes a PTU out of its pool, while the agreed rule (and the
 * expectations) say 3 within 10 s.
 */
export const ptuBreakerCountOne: Breakage = (dir) => {
  for (const backend of eastUsPtuEntities) {
    editJson(backendFile(dir, backend), (json) => {
      const condition = json.properties.circuitBreaker.rules[0].failureCondition;
      if (condition.count !== 3) throw new Error(`${backend}: failureCondition.count is ${String(condition.count)}, not 3`);
      condition.count = 1;
    });
  }
};

/**
 * The East US high lane ignores the PTU's Retry-After: acceptRetryAfter false on its entities
 * (the medium lane's rule copied over), so a PTU that asks for 3 s stays out of the high lane
 * for the whole 30 s tripDuration and high priority runs on one PTU meanwhile.
 */
export const highLaneIgnoresRetryAfter: Breakage = (dir) => {
  for (const backend of ['aoai-eastus-ptu1-high', 'aoai-eastus-ptu2-high']) {
    editJson(backendFile(dir, backend), (json) => {
      const rule = json.properties.circuitBreaker.rules[0];
      if (rule.acceptRetryAfter !== true) throw new Error(`${backend}: acceptRetryAfter is ${String(rule.acceptRetryAfter)}, not true`);
      rule.acceptRetryAfter = false;
    });
  }
};

/**
 * Medium and low priority are retried once instead of 6 times: retries sized for "try the
 * other PTU" rather than for tripping both PTU breakers, so a request that meets saturated PTUs
 * returns a 429 to the client before the pool can spill it to PAYG (the mistake Spillway found
 * in the seed's own retry policy).
 */
export const singleMediumRetry: Breakage = (dir) => {
  editText(join(dir, 'apis', 'azure-openai', 'policy.xml'), 'count="6" interval="0" first-fast-retry="true"', 'count="1" interval="0" first-fast-retry="true"');
};

/**
 * Medium priority in East US goes to PAYG only: the medium branch names the PAYG backend
 * instead of the regional pool, so PTU capacity goes unused by medium traffic.
 */
export const mediumToPayg: Breakage = (dir) => {
  // The medium branch is the only place the East US pool is named (editText checks it is there once).
  editText(fragmentFile(dir, 'aoai-priority-routing'), '<set-backend-service backend-id="aoai-eastus-pool" />', '<set-backend-service backend-id="aoai-eastus-payg" />');
};

/**
 * Every regional gateway routes to East US's resources: the region-aware choose was replaced
 * by a fixed region (a policy copied from a single-region deployment), so when East US goes
 * down the West US gateway keeps sending its traffic into the dead region.
 */
export const regionBlindRouting: Breakage = (dir) => {
  editText(join(dir, 'apis', 'azure-openai', 'policy.xml'), '<set-variable name="aoaiRegion" value="westus" />', '<set-variable name="aoaiRegion" value="eastus" />');
};

/**
 * The dev/test class's token limit is 500 tokens per minute instead of 1,000: a budget halved
 * in the policy while the agreed consumer budget stays 1,000, so dev-test is refused well
 * before it has used what it was promised.
 */
export const halvedDevTestTokenLimit: Breakage = (dir) => {
  editText(fragmentFile(dir, 'aoai-consumer-token-limit'), 'tokens-per-minute="1000"', 'tokens-per-minute="500"');
};

/**
 * The East US pool has PAYG at priority 1 beside the PTU resources: priorities equalised (a
 * pool written as a plain weighted list), so PAYG takes a weighted share of medium traffic
 * all the time instead of only the spillover.
 */
export const equalPoolPriorities: Breakage = (dir) => {
  editJson(backendFile(dir, 'aoai-eastus-pool'), (json) => {
    const payg = json.properties.pool.services.find((s: { id: string }) => s.id === '/backends/aoai-eastus-payg');
    if (!payg || payg.priority !== 2) throw new Error('aoai-eastus-pool: no PAYG member at priority 2');
    payg.priority = 1;
  });
};

/**
 * High priority is sent to the full regional pool (PTU then PAYG) instead of the PTU-only
 * pool: a copy-paste of the medium branch, so high-priority traffic spills over to PAYG.
 */
export const highPriorityToFullPool: Breakage = (dir) => {
  const file = fragmentFile(dir, 'aoai-priority-routing');
  editText(file, '<set-backend-service backend-id="aoai-westus-ptu-pool" />', '<set-backend-service backend-id="aoai-westus-pool" />');
  editText(file, '<set-backend-service backend-id="aoai-eastus-ptu-pool" />', '<set-backend-service backend-id="aoai-eastus-pool" />');
};

/**
 * The dev/test class's token limit is 2,000 tokens per minute instead of 1,000: a budget
 * doubled in the policy (a typo, or a temporary raise never reverted) while the agreed
 * consumer budget stays 1,000.
 */
export const doubledDevTestTokenLimit: Breakage = (dir) => {
  editText(fragmentFile(dir, 'aoai-consumer-token-limit'), 'tokens-per-minute="1000"', 'tokens-per-minute="2000"');
};

/**
 * The dev/test class's token limit counts per product instead of per subscription
 * (counter-key="@(context.Product.Id)", constant for every subscription of the AI Gateway
 * product): dev-test and dev-test-ci draw on one 1,000 TPM counter, so one is refused because
 * the other used the budget.
 */
export const productKeyedDevTestTokenLimit: Breakage = (dir) => {
  editText(fragmentFile(dir, 'aoai-consumer-token-limit'), 'counter-key="@(context.Subscription.Id)" tokens-per-minute="1000"', 'counter-key="@(context.Product.Id)" tokens-per-minute="1000"');
};

/**
 * The dev/test class has no token limit: the fragment's fallback branch (<otherwise>, where
 * dev-test and every subscription of no named class land) was dropped when the named classes
 * were written out, so those subscriptions are never refused, whatever they use.
 */
export const devTestTokenLimitMissing: Breakage = (dir) => {
  const file = fragmentFile(dir, 'aoai-consumer-token-limit');
  const text = readFileSync(file, 'utf8');
  const branches = text.match(/\n[ \t]*<otherwise>[\s\S]*?<\/otherwise>/g) ?? [];
  if (branches.length !== 1 || !branches[0]!.includes('tokens-per-minute="1000"')) throw new Error(`${file}: expected exactly one <otherwise> branch with the 1,000 TPM limit, found ${branches.length}`);
  writeFileSync(file, text.replace(branches[0]!, ''));
};

/**
 * The front door's secondary origin (West US) has priority 1 like the primary: an origin group
 * written as a plain weighted list, so the front door splits healthy traffic 50/50 by weight and
 * the secondary region serves half of it all the time instead of standing by.
 */
export const equalFrontDoorPriorities: Breakage = (dir) => {
  editJson(join(dir, 'emulator.json'), (json) => {
    const west = json.frontDoor.origins.find((o: { region: string }) => o.region === 'West US');
    if (!west || west.priority !== 2) throw new Error('emulator.json: no West US origin at priority 2');
    west.priority = 1;
  });
};

/**
 * The front door's health probes take 8 samples instead of 4 while still requiring 3
 * successes: a larger sample size chosen "for stability", so a dead origin needs 6 failed
 * probes instead of 2 before it is removed and clients see errors for longer.
 */
export const slowFrontDoorDetection: Breakage = (dir) => {
  editJson(join(dir, 'emulator.json'), (json) => {
    if (json.frontDoor.sampleSize !== 4 || json.frontDoor.successfulSamplesRequired !== 3) throw new Error('emulator.json: frontDoor is not sampleSize 4 / successfulSamplesRequired 3');
    json.frontDoor.sampleSize = 8;
    json.frontDoor.successfulSamplesRequired = 3;
  });
};

/**
 * batch-reports's token quota is missing: the AI Gateway product's policy (the
 * token-budget-exhausted drill's overlay, drills/token-budget-exhausted.overlay, where the
 * quota lives: the sample has none) lost its quota branch, as a product policy re-deployed from
 * an older template would, so the subscription is never refused whatever it has used. Applied
 * to a folder that has the product policy (the overlay, or a configuration with it laid over).
 */
export const batchReportsTokenQuotaMissing: Breakage = (dir) => {
  const file = join(dir, 'products', 'ai-gateway', 'policy.xml');
  const text = readFileSync(file, 'utf8');
  const branches = text.match(/\n[ \t]*<choose>[\s\S]*?<\/choose>/g) ?? [];
  if (branches.length !== 1 || !branches[0]!.includes('token-quota=')) throw new Error(`${file}: expected exactly one <choose> with a token quota, found ${branches.length}`);
  writeFileSync(file, text.replace(branches[0]!, ''));
};

/**
 * The East US pool's second PTU entity points at the first PTU's resource: aoai-eastus-ptu2's
 * url copied from aoai-eastus-ptu1's backend (a copy-pasted template), so the pool has no
 * independent second member. A latency spike on the one resource then shows on both backend
 * entities, and the dashboard's question "which backend is slow?" gets the wrong answer.
 */
export const ptu2PointsAtPtu1: Breakage = (dir) => {
  editText(backendFile(dir, 'aoai-eastus-ptu2'), '"url": "https://aoai-eastus-ptu2.openai.azure.com/openai"', '"url": "https://aoai-eastus-ptu1.openai.azure.com/openai"');
};

const aiGatewayProductPolicy = (dir: string): string => join(dir, 'products', 'ai-gateway', 'policy.xml');

/**
 * The AI Gateway product's policy has no validate-jwt: the JWT check was left out of the
 * product (a policy written before tokens were required, or a portal edit that dropped it), so
 * the subscription key alone gets a request through, whatever token comes with it. Applied to
 * a folder that has the product policy with validate-jwt (the auth-failure-spike overlay).
 */
export const jwtValidationMissing: Breakage = (dir) => {
  const file = aiGatewayProductPolicy(dir);
  const text = readFileSync(file, 'utf8');
  const checks = text.match(/\n[ \t]*<validate-jwt[\s>][\s\S]*?<\/validate-jwt>/g) ?? [];
  if (checks.length !== 1) throw new Error(`${file}: expected exactly one <validate-jwt> to remove, found ${checks.length}`);
  writeFileSync(file, text.replace(checks[0]!, ''));
};

/**
 * validate-jwt lets expired tokens through: a clock skew of a day (`clock-skew="86400"`, as
 * one set while chasing a clock problem and never reset), so a token that expired an hour ago
 * is still accepted; audience, issuer and signature are still checked.
 */
export const jwtExpiryIgnored: Breakage = (dir) => {
  editText(aiGatewayProductPolicy(dir), 'require-expiration-time="true">', 'require-expiration-time="true" clock-skew="86400">');
};
