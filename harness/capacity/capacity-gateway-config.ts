import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The gateway a capacity run measures: a working copy of an APIOps folder, written into the run
 * folder (the folder itself is never changed), with the emulator's capacity model enabled at the
 * units asked for, and the light profile: the Azure OpenAI API's policy replaced by a plain
 * pass-through to one PTU backend. The sample's AI policies hold each consumer to a token budget
 * (50,000 TPM at most), which would answer 429 long before any gateway's capacity; a light
 * profile measures the gateway, not the budgets. The heavy profile (the sample's AI policies)
 * is not done yet (docs/capacity.md).
 */
export const lightProfileBackend = 'aoai-eastus-ptu1';

const lightProfilePolicy = `<!-- Written by spillway capacity: the light profile, a plain pass-through (the AI policies' token budgets would throttle first). -->
<policies>
  <inbound>
    <base />
    <set-backend-service backend-id="${lightProfileBackend}" />
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>
`;

/** Writes the working copy; the caller loads it (loadGatewayConfig) to learn the capacity it models. */
export function writeCapacityGatewayConfig(sourceDir: string, workingDir: string, units: number): void {
  cpSync(sourceDir, workingDir, { recursive: true });
  writeFileSync(join(workingDir, 'apis', 'azure-openai', 'policy.xml'), lightProfilePolicy);
  const emulatorFile = join(workingDir, 'emulator.json');
  const emulator = JSON.parse(readFileSync(emulatorFile, 'utf8')) as { regions?: { name: string; units?: number }[]; capacity?: Record<string, unknown> };
  // Every region gets the units asked for; the run drives the primary region's gateway alone.
  emulator.regions = (emulator.regions ?? []).map((region) => ({ ...region, units }));
  emulator.capacity = { ...emulator.capacity, enabled: true };
  writeFileSync(emulatorFile, `${JSON.stringify(emulator, null, 2)}\n`);
}
