import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * The gateway a capacity run measures, and the two policy profiles it measures separately
 * (APIM's capacity guidance differs by policy weight). The profiles are APIs of the APIOps
 * folder itself (deploy/apim/apis/capacity-light and capacity-heavy, in the Capacity Testing
 * product), so a real APIM published from the folder serves them too and a run against it calls
 * the same policies as a run on the emulator. Nothing here rewrites a policy.
 */
export type CapacityProfileName = 'light' | 'heavy';

export interface CapacityProfile {
  /** The API's folder under apis/ (its APIM name). */
  apiId: string;
  /** The API's URL suffix in APIM (apiInformation.json `path`). */
  apiPath: string;
  /** What to append to the gateway's URL for the k6 scripts' baseUrl: they add /openai/deployments/…. */
  basePath: string;
  description: string;
}

export const capacityProfiles: Record<CapacityProfileName, CapacityProfile> = {
  light: {
    apiId: 'capacity-light',
    apiPath: 'capacity/light/openai',
    basePath: '/capacity/light',
    description: "plain pass-through to one PTU backend: no pool, token limit, retry or token metrics (the backend entity's own circuit breaker still counts its failures)",
  },
  heavy: {
    apiId: 'capacity-heavy',
    apiPath: 'capacity/heavy/openai',
    basePath: '/capacity/heavy',
    description: "the sample's AI policies: backend pool with circuit breakers, a token limit evaluated on every request but set never to bind, retry, token metrics",
  },
};

/**
 * The k6.config.json consumer whose key calls the profiles: the sample's load-test subscription,
 * the only one in the Capacity Testing product. Consumers' own subscriptions cannot call the
 * profiles, which hold no one to a token budget.
 */
export const capacityConsumer = 'capacity-test';

/** A --config folder that lacks a profile's API (or serves it at another path): said before anything starts. */
export class CapacityProfileError extends UserFacingError {}

/**
 * Checks that configDir has the profile's API at the path the run will call, and throws a
 * CapacityProfileError naming the folder and what is missing otherwise. Call it before anything
 * starts: the working copy is written from this folder.
 */
export function checkCapacityProfile(configDir: string, profile: CapacityProfileName): void {
  const { apiId, apiPath } = capacityProfiles[profile];
  const infoFile = join(configDir, 'apis', apiId, 'apiInformation.json');
  const remedy = `copy deploy/apim/apis/${apiId}/ (and the Capacity Testing product, products/capacity-testing/, with a subscription to it) into the folder`;
  let text: string;
  try {
    text = readFileSync(infoFile, 'utf8');
  } catch {
    throw new CapacityProfileError(`${configDir}: the ${profile} capacity profile needs the API folder apis/${apiId}/ (with apiInformation.json), which this configuration folder lacks; ${remedy}`);
  }
  let path: unknown;
  try {
    path = (JSON.parse(text) as { properties?: { path?: unknown } }).properties?.path;
  } catch (error) {
    throw new CapacityProfileError(`${infoFile}: not valid JSON (${(error as Error).message}); the ${profile} capacity profile reads its path from it`);
  }
  const found = typeof path === 'string' ? path.replace(/^\/+|\/+$/g, '') : undefined;
  if (found !== apiPath) {
    throw new CapacityProfileError(`${infoFile}: properties.path is ${JSON.stringify(path)}; the ${profile} capacity profile calls it at "${apiPath}" (the k6 scripts append /openai/deployments/… to ${capacityProfiles[profile].basePath})`);
  }
}

/**
 * Writes the working copy of sourceDir into workingDir (the source folder is never changed)
 * with the emulator's capacity model enabled and every region at the units asked for; the run
 * drives the primary region's gateway alone. The caller loads it (loadGatewayConfig) to learn
 * the capacity it models.
 */
export function writeCapacityGatewayConfig(sourceDir: string, workingDir: string, units: number): void {
  cpSync(sourceDir, workingDir, { recursive: true });
  const emulatorFile = join(workingDir, 'emulator.json');
  const emulator = JSON.parse(readFileSync(emulatorFile, 'utf8')) as { regions?: { name: string; units?: number }[]; capacity?: Record<string, unknown> };
  emulator.regions = (emulator.regions ?? []).map((region) => ({ ...region, units }));
  emulator.capacity = { ...emulator.capacity, enabled: true };
  writeFileSync(emulatorFile, `${JSON.stringify(emulator, null, 2)}\n`);
}
