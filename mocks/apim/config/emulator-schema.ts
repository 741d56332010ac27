/**
 * The emulator file (`emulator.json` beside the APIOps artifacts): what a real APIM service
 * holds outside the artifact folder, or what only a local run needs. Subscriptions and their
 * keys, the gateway regions and their units, values for secret named values, the optional
 * capacity model and the optional Front Door. Strict objects: a typo here would otherwise
 * silently change a run. Every field is described in docs/apim-config.md.
 */
import { z } from 'zod';

const port = z.int().min(0).max(65535);

const subscriptionSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'must be 1-80 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  displayName: z.string().min(1).optional(),
  scope: z
    .string()
    .regex(/^(all|product:.+|api:.+)$/, 'must be "all", "product:<product id>" or "api:<api id>"'),
  primaryKey: z.string().min(1).max(256),
  secondaryKey: z.string().min(1).max(256).optional(),
  // APIM's subscription states; only "active" subscriptions are let through by APIM.
  state: z.enum(['active', 'suspended', 'submitted', 'rejected', 'cancelled', 'expired']).optional(),
});

const regionSchema = z.strictObject({
  name: z.string().min(1),
  units: z.int().min(1).max(30).optional(),
  port: port.optional(),
});

const capacitySchema = z.strictObject({
  enabled: z.boolean(),
  requestsPerSecondPerUnit: z.number().positive().optional(),
  queueLength: z.int().min(0).optional(),
  queueTimeoutSeconds: z.number().positive().optional(),
});

const originSchema = z.strictObject({
  region: z.string().min(1),
  // Azure Front Door origin priority 1-5 and weight 1-1000 (default 50) [DOC AFD-RM].
  priority: z.int().min(1).max(5),
  weight: z.int().min(1).max(1000).optional(),
  enabled: z.boolean().optional(),
});

const frontDoorSchema = z
  .strictObject({
    port: port.optional(),
    // AFD's probeIntervalInSeconds range is 1-255 [SPEC]; no default is assumed because the
    // documented defaults disagree (30 s vs 240 s).
    probeIntervalSeconds: z.int().min(1).max(255),
    sampleSize: z.int().min(1).max(255),
    successfulSamplesRequired: z.int().min(1).max(255),
    probePath: z.string().startsWith('/', 'must start with "/"').optional(),
    probeMethod: z.enum(['HEAD', 'GET']).optional(),
    origins: z.array(originSchema).min(1),
  })
  .refine((fd) => fd.successfulSamplesRequired <= fd.sampleSize, {
    message: 'successfulSamplesRequired cannot be larger than sampleSize',
    path: ['successfulSamplesRequired'],
  });

export const emulatorFileSchema = z.strictObject({
  $comment: z.string().optional(),
  subscriptions: z.array(subscriptionSchema),
  regions: z.array(regionSchema).min(1, 'at least one region is needed; the first is the primary'),
  namedValues: z.record(z.string(), z.string()).optional(),
  capacity: capacitySchema.optional(),
  frontDoor: frontDoorSchema.optional(),
});

export type EmulatorFile = z.infer<typeof emulatorFileSchema>;

/** Our choices where nothing is configured (docs/apim-config.md explains each). */
export const CAPACITY_DEFAULTS = {
  // The published Premium per-unit estimate [DOC CAP]; the seed runs APIM Premium.
  requestsPerSecondPerUnit: 4000,
  queueLength: 1000,
  queueTimeoutSeconds: 30,
} as const;

export const FRONT_DOOR_DEFAULTS = {
  // APIM's built-in health endpoint, the documented probe path for APIM origins [DOC MR].
  probePath: '/status-0123456789abcdef',
  // HEAD is the default method for new AFD profiles [DOC AFD-HP].
  probeMethod: 'HEAD',
  weight: 50,
} as const;
