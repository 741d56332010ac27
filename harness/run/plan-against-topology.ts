import { faultRequestProblems, type FaultableBackend } from '../../mocks/aoai/fault-rules.ts';
import type { FleetDescription } from '../../mocks/aoai/fleet.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import { processStepProblems } from './process-step-problems.ts';
import { MAX_CARRIED_RATE_PER_CLASS, MAX_VUS, FASTEST_REQUEST_SECONDS } from '../../scenarios/lib/executors.ts';
import type { ScenarioPlan, StepOf } from './scenario-plan.ts';

/**
 * What a plan names that must exist in the run it is about to drive, checked before anything
 * starts: the timeline's targets against the fleet (backends, regions, deployments, with the
 * same rules the fleet applies when a fault is injected) and the gateway configuration (the
 * regions a regionDown step takes down), the capacity overrides against the deployments the
 * fleet has, and each traffic class's rate against what its VUs can carry. Each problem names
 * the file and the field, in the form loadK6Config uses: `<file>: scenarios.<name>.<field>: ...`.
 * A step that names nothing in the run would otherwise fail only when it fires, and the run
 * would be judged without its fault.
 */
export function planProblems(plan: ScenarioPlan, run: { fleet: FleetDescription | null; gatewayConfig: GatewayConfig | null; units: number }): string[] {
  const problems: string[] = [];
  const at = (field: string, message: string): void => {
    problems.push(`scenarios.${plan.name}.${field}: ${message}`);
  };
  problems.push(...(run.fleet ? fleetProblems(plan, run.fleet, run.gatewayConfig) : []));
  plan.traffic.forEach((traffic, index) => {
    const rate = traffic.ratePerUnit * run.units;
    if (rate > MAX_CARRIED_RATE_PER_CLASS) {
      at(
        `traffic.${index}.ratePerUnit`,
        `${traffic.ratePerUnit} requests/s per unit × ${run.units} unit${run.units === 1 ? '' : 's'} = ${rate} requests/s for "${traffic.consumer}", more than one traffic class can start: ` +
          `at most ${MAX_VUS} VUs, each busy at least ${FASTEST_REQUEST_SECONDS * 1000} ms per request, carry ${MAX_CARRIED_RATE_PER_CLASS} requests/s (scenarios/lib/executors.ts); split the load over several classes or lower the rate`,
      );
    }
  });
  return problems;
}

/** The capacity overrides and the timeline against the fleet and the gateway configuration. */
function fleetProblems(plan: ScenarioPlan, fleet: FleetDescription, gatewayConfig: GatewayConfig | null): string[] {
  const problems: string[] = [];
  const at = (field: string, message: string): void => {
    problems.push(`scenarios.${plan.name}.${field}: ${message}`);
  };
  const backends: FaultableBackend[] = fleet.backends.map((r) => ({ name: r.name, region: r.region, deployments: r.deployments.map((d) => d.name) }));
  const hosted = new Set(fleet.backends.flatMap((r) => r.deployments.map((d) => d.name)));
  for (const [field, deployment, operation] of [['deployment', plan.deployment, 'chat'], ['embeddingDeployment', plan.embeddingDeployment, 'embeddings']] as const) {
    if (plan.traffic.some((t) => t.operation === operation) && !hosted.has(deployment)) at(field, `no backend of the fleet hosts a deployment named "${deployment}" (they host ${[...hosted].join(', ')})`);
  }

  for (const key of Object.keys(plan.fleet.capacityTpm ?? {})) {
    const match = /^(ptu|payg):(.+)$/.exec(key);
    if (!match) {
      at(`fleet.capacityTpm.${key}`, 'a key must be "<ptu|payg>:<deployment>", e.g. "ptu:gpt-4o"');
      continue;
    }
    const [, kind, deployment] = match;
    const ofKind = fleet.backends.filter((r) => r.kind === kind);
    if (!ofKind.some((r) => r.deployments.some((d) => d.name === deployment))) {
      const hosted = [...new Set(ofKind.flatMap((r) => r.deployments.map((d) => d.name)))];
      at(`fleet.capacityTpm.${key}`, `no ${kind} resource of the fleet hosts a deployment named "${deployment}" (${hosted.length > 0 ? `they host ${hosted.join(', ')}` : `the fleet has no ${kind} resource`})`);
    }
  }

  const gatewayRegions = gatewayConfig?.regions.map((r) => r.name) ?? null;
  for (const step of plan.timeline) {
    const field = `timeline.${step.id}`;
    switch (step.kind) {
      case 'fleet-fault':
        for (const problem of faultRequestProblems({ ...step.fault, label: step.id }, backends)) at(`${field}.fault.${problem.path}`, problem.message);
        break;
      case 'region-down':
        // The gateway finds its instance by region name, ignoring case (mocks/apim/gateway/gateway.ts).
        if (gatewayRegions && !gatewayRegions.some((name) => name.toLowerCase() === step.region.toLowerCase())) {
          at(`${field}.region`, `the gateway configuration has no region "${step.region}" (its regions: ${gatewayRegions.join(', ')})`);
        }
        if (step.backends !== false) {
          for (const problem of faultRequestProblems({ kind: 'refuse', target: { region: step.region }, label: step.id }, backends)) {
            at(`${field}.region`, `${problem.message}; the region's Azure OpenAI resources go down with it unless "backends": false`);
          }
        }
        break;
      case 'network':
        problems.push(...networkLinkProblems(step, `scenarios.${plan.name}.${field}.link`, fleet, gatewayConfig, plan.entry));
        break;
      case 'process':
        problems.push(...processStepProblems(step, `scenarios.${plan.name}.${field}`, fleet, gatewayConfig));
        break;
    }
  }
  return problems;
}

/**
 * A network step's link against the run: a backend the fleet has, a region with backends, or a
 * regional gateway that something reaches over a link Toxiproxy can sit on (a front door origin,
 * or the primary region when the plan enters there). A gateway link is checked only when the
 * gateway configuration is known (a gateway at a URL refuses network steps itself).
 */
function networkLinkProblems(step: StepOf<'network'>, field: string, fleet: FleetDescription, gatewayConfig: GatewayConfig | null, entry: ScenarioPlan['entry']): string[] {
  const link = step.link;
  const list = (values: Iterable<string>): string => [...new Set(values)].join(', ');
  switch (link.to) {
    case 'backend':
      return fleet.backends.some((b) => b.name === link.backend) ? [] : [`${field}.backend: no backend named "${link.backend}" (the fleet has ${list(fleet.backends.map((b) => b.name))})`];
    case 'region-backends':
      return fleet.backends.some((b) => b.region.toLowerCase() === link.region.toLowerCase()) ? [] : [`${field}.region: no backend in region "${link.region}" (the fleet's regions: ${list(fleet.backends.map((b) => b.region))})`];
    case 'gateway': {
      if (!gatewayConfig) return [];
      const regions = gatewayConfig.regions.map((r) => r.name);
      const named = (name: string): boolean => name.toLowerCase() === link.region.toLowerCase();
      if (!regions.some(named)) return [`${field}.region: the gateway configuration has no region "${link.region}" (its regions: ${regions.join(', ')})`];
      const frontDoor = entry === 'front-door' ? gatewayConfig.frontDoor : undefined;
      const reached = frontDoor ? frontDoor.origins.map((o) => o.region) : [regions[0]!];
      if (!reached.some(named)) {
        return [`${field}.region: nothing reaches the gateway of "${link.region}" over a link Toxiproxy can sit on: ${frontDoor ? `the front door's origins are ${reached.join(', ')}` : `k6 enters at the primary region, ${reached[0]}`}`];
      }
      return [];
    }
  }
}
