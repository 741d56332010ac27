import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { knownModels, modelInfo } from './model-catalog.ts';
import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';

/**
 * The fleet's topology file: which Azure OpenAI resources stand behind the gateway, where,
 * of which kind, and what each hosts. Validated with zod; every error names the file and
 * the field, and nothing starts on a bad file.
 */

const lengthDistribution = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), tokens: z.int().min(0) }),
  z.strictObject({ kind: z.literal('uniform'), min: z.int().min(1), max: z.int().min(1) }),
  z.strictObject({
    kind: z.literal('normal'),
    mean: z.number().positive(),
    stdDev: z.number().min(0),
    min: z.int().min(1).optional(),
    max: z.int().min(1).optional(),
  }),
]);

const meanAndJitter = z.strictObject({ mean: z.number().min(0), stdDev: z.number().min(0) });
const latencyProfile = z.strictObject({ timeToFirstTokenMs: meanAndJitter, perTokenMs: meanAndJitter });

const deploymentSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a deployment name of letters, digits, ".", "_" or "-" (at most 64)'),
  model: z.string().refine((m) => modelInfo(m) !== undefined, { message: `an unknown model; known models: ${knownModels.join(', ')}` }),
  /** Tokens per minute: the PTU deployment's throughput, or the PAYG deployment's quota. */
  capacityTpm: z.int().positive(),
  completionLength: lengthDistribution.optional(),
  latency: latencyProfile.optional(),
  /** PTU: how many seconds of capacity the leaky bucket holds (Azure does not publish it). */
  bucketSeconds: z.number().positive().max(600).optional(),
  /** PTU: send azure-openai-deployment-utilization (flagged unreliable by Microsoft, so off by default). */
  utilizationHeader: z.boolean().optional(),
  /** PAYG: requests per minute; defaults to 6 per 1,000 TPM as Azure assigns it. */
  rpm: z.int().positive().optional(),
  /** PAYG: probability of a "high demand" capacity 429 below quota. */
  capacity429Rate: z.number().min(0).max(1).optional(),
  /** Token cost assumed for max_tokens when a request does not set it. */
  defaultMaxTokensEstimate: z.int().min(0).optional(),
});

const resourceSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'a resource name of lower-case letters, digits and "-" (2 to 63), as Azure requires'),
  /** Sent back in x-ms-region and x-fleet-region on every answer, so it must be a header value. */
  region: z.string().regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, 'a region name of printable ASCII characters, without spaces at either end (it goes out in the x-ms-region header), such as "East US"'),
  kind: z.enum(['ptu', 'payg']),
  port: z.int().min(0).max(65535).optional(),
  /** Either the deployments themselves or the name of a set under deploymentSets. */
  deployments: z.union([z.array(deploymentSchema).min(1), z.string().min(1)]),
  /** When set, only these api-keys (or Bearer tokens) are accepted; never logged. */
  apiKeys: z.array(z.string().min(1)).optional(),
});

const topologySchema = z.strictObject({
  $comment: z.string().optional(),
  seed: z.int().optional(),
  /** Multiplies every modeled latency: 0 answers at once, 0.1 runs ten times faster. */
  latencyScale: z.number().min(0).optional(),
  host: z.string().optional(),
  maxRequestBodyBytes: z.int().positive().optional(),
  resources: z.array(resourceSchema).min(1),
  deploymentSets: z.record(z.string(), z.array(deploymentSchema).min(1)).optional(),
});

export type LengthDistributionConfig = z.infer<typeof lengthDistribution>;
export type LatencyProfileConfig = z.infer<typeof latencyProfile>;
export type DeploymentConfig = z.infer<typeof deploymentSchema>;
export type ResourceKind = 'ptu' | 'payg';

export interface ResourceConfig {
  name: string;
  region: string;
  kind: ResourceKind;
  port: number;
  deployments: DeploymentConfig[];
  apiKeys?: string[];
}

export interface Topology {
  seed?: number;
  latencyScale: number;
  host: string;
  maxRequestBodyBytes: number;
  resources: ResourceConfig[];
}

export class TopologyError extends UserFacingError {}

export const defaultTopologyPath = fileURLToPath(new URL('./default-topology.json', import.meta.url));

/** Azure OpenAI's documented request size limit is not published for chat; 16 MiB leaves room for images. */
const defaultMaxRequestBodyBytes = 16 * 1024 * 1024;

export function loadTopologyFile(path: string): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TopologyError(`${path}: cannot read the topology file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseTopology(text, path);
}

export function parseTopology(text: string, source: string): Topology {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TopologyError(`${source}: not valid JSON: ${jsonErrorWithLine(text, error)}`);
  }
  const parsed = topologySchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${source}: ${formatPath(issue.path)}: ${issue.message}`);
    throw new TopologyError(`invalid topology:\n${lines.join('\n')}`);
  }
  return resolveTopology(parsed.data, source);
}

function resolveTopology(data: z.infer<typeof topologySchema>, source: string): Topology {
  const problems: string[] = [];
  const names = new Set<string>();
  const ports = new Map<number, string>();
  const resources: ResourceConfig[] = data.resources.map((resource, index) => {
    const at = `resources[${index}]`;
    if (names.has(resource.name)) problems.push(`${at}.name: "${resource.name}" is used by another resource`);
    names.add(resource.name);
    const port = resource.port ?? 0;
    if (port !== 0) {
      const other = ports.get(port);
      if (other) problems.push(`${at}.port: ${port} is already the port of ${other}`);
      ports.set(port, resource.name);
    }
    let deployments: DeploymentConfig[] = [];
    if (typeof resource.deployments === 'string') {
      const set = data.deploymentSets?.[resource.deployments];
      if (!set) problems.push(`${at}.deployments: no deploymentSets entry named "${resource.deployments}"`);
      else deployments = set;
    } else {
      deployments = resource.deployments;
    }
    const seen = new Set<string>();
    deployments.forEach((deployment, d) => {
      if (seen.has(deployment.name)) problems.push(`${at}.deployments[${d}].name: "${deployment.name}" appears twice`);
      seen.add(deployment.name);
      if (deployment.completionLength?.kind === 'uniform' && deployment.completionLength.min > deployment.completionLength.max) {
        problems.push(`${at}.deployments[${d}].completionLength: min is greater than max`);
      }
      if (resource.kind === 'ptu' && (deployment.rpm !== undefined || deployment.capacity429Rate !== undefined)) {
        problems.push(`${at}.deployments[${d}]: rpm and capacity429Rate apply to payg resources only`);
      }
      if (resource.kind === 'payg' && (deployment.bucketSeconds !== undefined || deployment.utilizationHeader !== undefined)) {
        problems.push(`${at}.deployments[${d}]: bucketSeconds and utilizationHeader apply to ptu resources only`);
      }
    });
    return {
      name: resource.name,
      region: resource.region,
      kind: resource.kind,
      port,
      deployments,
      ...(resource.apiKeys ? { apiKeys: resource.apiKeys } : {}),
    };
  });
  if (problems.length > 0) {
    throw new TopologyError(`invalid topology:\n${problems.map((p) => `  ${source}: ${p}`).join('\n')}`);
  }
  return {
    ...(data.seed !== undefined ? { seed: data.seed } : {}),
    latencyScale: data.latencyScale ?? 1,
    host: data.host ?? '127.0.0.1',
    maxRequestBodyBytes: data.maxRequestBodyBytes ?? defaultMaxRequestBodyBytes,
    resources,
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}

/** JSON.parse reports a character position; people look for a line and column. */
function jsonErrorWithLine(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  // Newer engines already say "(line 3 column 20)"; older ones only give the position.
  if (!position || /\bline \d+/.test(message)) return message;
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}
