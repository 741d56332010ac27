import type { FleetDescription } from '../../mocks/aoai/fleet.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import type { StepOf } from './scenario-plan.ts';

/**
 * A process step's target against the run, before anything starts: a regional gateway the
 * configuration has (checked when the configuration is known), or a backend the fleet has.
 * `disconnect-config` cuts a gateway from its configuration source, so a backend has none.
 * `field` is `scenarios.<name>.timeline.<id>`.
 */
export function processStepProblems(step: StepOf<'process'>, field: string, fleet: FleetDescription, gatewayConfig: GatewayConfig | null): string[] {
  const target = step.process;
  if (target.of === 'gateway') {
    if (!gatewayConfig) return [];
    const regions = gatewayConfig.regions.map((r) => r.name);
    return regions.some((name) => name.toLowerCase() === target.region.toLowerCase())
      ? []
      : [`${field}.process.region: the gateway configuration has no region "${target.region}" (its regions: ${regions.join(', ')})`];
  }
  const problems: string[] = [];
  if (!fleet.backends.some((b) => b.name === target.backend)) problems.push(`${field}.process.backend: no backend named "${target.backend}" (the fleet has ${fleet.backends.map((b) => b.name).join(', ')})`);
  if (step.action === 'disconnect-config') problems.push(`${field}.action: "disconnect-config" cuts a gateway from its configuration source; a backend has none (use kill, pause or restart)`);
  return problems;
}
