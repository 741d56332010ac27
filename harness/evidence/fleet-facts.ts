import type { FleetDescription } from '../../mocks/aoai/fleet.ts';
import type { FleetFacts } from './evidence-types.ts';

/**
 * The facts a verifier may need about the fleet of this run, from its description
 * (`fleet up --json`, or the embedded fleet's describe()): the backends hosting the deployment
 * the scenario calls, with that deployment's capacity. Backends without it are left out: they
 * received none of the scenario's traffic.
 */
export function fleetFacts(fleet: FleetDescription, deployment: string): FleetFacts {
  const backends: FleetFacts['backends'] = [];
  for (const backend of fleet.backends) {
    const hosted = backend.deployments.find((d) => d.name === deployment);
    if (hosted) backends.push({ name: backend.name, region: backend.region, kind: backend.kind, capacityTpm: hosted.capacityTpm });
  }
  return { deployment, backends };
}
