import { fileURLToPath } from 'node:url';
import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';
import { controlTokenVariable } from '../../harness/targets/controlled-fleet.ts';

/**
 * What the fleet's container reads from its environment, checked before anything starts. The
 * names are exported one by one because the image definitions (Dockerfile, fleet.bicep) are held
 * to them by deploy/fleet/fleet-contract.test.ts: a variable renamed here and not there fails
 * that test instead of being silently ignored in Azure.
 */

/** Required: the control API's bearer token (the same variable `spillway fleet up` reads). */
export const tokenVariable = controlTokenVariable;
/** Optional: the base URL that APIM and Spillway reach the container at, e.g. https://<app fqdn>. */
export const publicUrlVariable = 'SPILLWAY_FLEET_PUBLIC_URL';
/** Optional: a topology file inside the container (default: the image's default topology). */
export const topologyFileVariable = 'SPILLWAY_FLEET_TOPOLOGY';
/** Optional: the topology itself, as JSON text (for hosts where mounting a file is awkward). */
export const topologyJsonVariable = 'SPILLWAY_FLEET_TOPOLOGY_JSON';
/** Optional: the one port the container listens on (0: any free port, for tests). */
export const portVariable = 'SPILLWAY_FLEET_PORT';
/** Optional: the address it listens on (default 0.0.0.0: every interface of the container). */
export const hostVariable = 'SPILLWAY_FLEET_HOST';

export const containerVariables = [tokenVariable, publicUrlVariable, topologyFileVariable, topologyJsonVariable, portVariable, hostVariable] as const;

/** The port the image exposes and Container Apps' ingress targets. */
export const defaultContainerPort = 8080;

/**
 * Shorter tokens are refused: the control API of a container is reachable from the internet,
 * and it can inject faults and read the ledger. 16 characters is a floor, not advice; the
 * docs generate 32 random bytes.
 */
export const minimumTokenLength = 16;

export const defaultTopologyFile = fileURLToPath(new URL('../../mocks/aoai/default-topology.json', import.meta.url));

export class ContainerConfigError extends UserFacingError {}

export interface ContainerConfig {
  /** Never printed: handed to the fleet through its environment and to the front's gate. */
  token: string;
  /** An origin (scheme, host, port), without a trailing slash; null: taken from each request. */
  publicUrl: string | null;
  topology: { kind: 'file'; path: string } | { kind: 'json'; text: string };
  port: number;
  host: string;
}

/** Reads and checks the container's environment; every problem is named, all at once. */
export function containerConfigFrom(env: NodeJS.ProcessEnv): ContainerConfig {
  const problems: string[] = [];

  const token = env[tokenVariable] ?? '';
  if (token === '') problems.push(`${tokenVariable} is not set: the container's control API is reachable from outside, so it needs a token (callers send Authorization: Bearer <token>)`);
  else if (token.length < minimumTokenLength) problems.push(`${tokenVariable} is ${token.length} characters long; use at least ${minimumTokenLength} (for example \`openssl rand -hex 32\`)`);

  let publicUrl: string | null = null;
  const publicText = env[publicUrlVariable] ?? '';
  if (publicText !== '') {
    const parsed = URL.parse(publicText);
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) problems.push(`${publicUrlVariable}: "${publicText}" is not an http:// or https:// URL`);
    else if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') problems.push(`${publicUrlVariable}: "${publicText}" must be an origin only (scheme, host and port, such as https://spillway-fleet.example.azurecontainerapps.io): the container adds the paths`);
    else publicUrl = parsed.origin;
  }

  const file = env[topologyFileVariable] ?? '';
  const json = env[topologyJsonVariable] ?? '';
  if (file !== '' && json !== '') problems.push(`${topologyFileVariable} and ${topologyJsonVariable} are both set; set one`);
  const topology: ContainerConfig['topology'] = json !== '' ? { kind: 'json', text: json } : { kind: 'file', path: file !== '' ? file : defaultTopologyFile };

  let port = defaultContainerPort;
  const portText = env[portVariable] ?? '';
  if (portText !== '') {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) problems.push(`${portVariable}: "${portText}" is not a port number (0 to 65535)`);
  }

  const host = env[hostVariable] || '0.0.0.0';

  if (problems.length > 0) throw new ContainerConfigError(`the fleet container cannot start:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { token, publicUrl, topology, port, host };
}
