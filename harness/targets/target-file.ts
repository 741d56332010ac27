/**
 * The target file of a run against a real API Management (`spillway run <scenario> --target
 * <file>`): where the gateway is (its front door, or one gateway URL per region), which
 * environment variables hold the subscription keys, the Log Analytics workspace its
 * diagnostic settings write to, and the fleet its backends point to (its control API and the
 * variable holding the control token). Names of variables only: the file holds no secret, so
 * it can be committed beside the APIOps folder.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { apimResourceIdHint, apimResourceIdPattern } from '../capacity/utilisation/apim-resource-id.ts';

export class TargetFileError extends UserFacingError {}

const httpsOrLoopbackUrl = z
  .url({ protocol: /^https?$/ })
  .refine((value) => {
    const url = new URL(value);
    return url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  }, 'must be a base URL without credentials, query or fragment');

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _), not a value: the file holds no secret');

export const targetFileSchema = z
  .strictObject({
    $comment: z.string().optional(),
    kind: z.literal('apim'),
    /** Azure Front Door in front of the regional gateways; k6 sends there when the plan's entry is front-door. */
    frontDoorUrl: httpsOrLoopbackUrl.optional(),
    /** The gateway of each region, the primary first (APIM's regional gateway URLs). */
    gateways: z.array(z.strictObject({ region: z.string().min(1), url: httpsOrLoopbackUrl })).min(1),
    /** Consumer class → the variable holding its subscription key; absent: k6.config.json's keyEnv. */
    keys: z.record(z.string(), envName).default({}),
    /** The Log Analytics workspace (its workspace id, a GUID) the APIM's diagnostic settings send to. */
    workspaceId: z.guid('must be the workspace id, a GUID (Log Analytics workspace, Overview, Workspace ID)'),
    /** The fleet the APIM's backends point to. */
    fleet: z.strictObject({ control: httpsOrLoopbackUrl, tokenEnv: envName.default('SPILLWAY_CONTROL_TOKEN') }),
    /**
     * Where the gateway's own utilisation is read (`spillway capacity`): Azure Monitor's metrics
     * of the APIM service (harness/capacity/utilisation/azure-monitor-utilisation.ts). region is
     * the service's primary location, by default the first gateway's; tier picks Capacity
     * (classic) or CPU and memory (v2), by default whichever the service publishes.
     */
    metrics: z
      .strictObject({
        resourceId: z.string().regex(apimResourceIdPattern, apimResourceIdHint),
        region: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9 ]*$/, 'must be an Azure location such as eastus, or its display name (East US)')
          .optional(),
        tier: z.enum(['classic', 'v2'], 'must be "classic" (Developer, Basic, Standard, Premium) or "v2" (Basic v2, Standard v2, Premium v2)').optional(),
      })
      .optional(),
    /** The gateway's health path (APIM's own by default). */
    healthPath: z
      .string()
      .regex(/^\/\S*$/, 'must be a path starting with "/"')
      .default('/status-0123456789abcdef'),
  })
  .refine((file) => new Set(file.gateways.map((g) => g.region.toLowerCase())).size === file.gateways.length, { message: 'each region appears once', path: ['gateways'] });

export type TargetFile = z.output<typeof targetFileSchema>;

/** Reads and checks a target file; every problem names the file and the field. */
export function loadTargetFile(path: string): TargetFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const why = error instanceof SyntaxError ? `not valid JSON: ${error.message}` : `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    throw new TargetFileError(`${path}: ${why}`);
  }
  const parsed = targetFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TargetFileError(`invalid target file:\n${parsed.error.issues.map((issue) => `  ${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('\n')}`);
  }
  return parsed.data;
}

/** Where k6 sends: the front door when the plan enters there and there is one, else the primary region's gateway. */
export function entryUrlOf(file: TargetFile, entry: 'front-door' | 'primary-region'): string {
  const url = entry === 'front-door' && file.frontDoorUrl ? file.frontDoorUrl : file.gateways[0]!.url;
  return url.replace(/\/+$/, '');
}
