import type { Expectations } from './expectations.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * An expectations file (`spillway run --expectations`) checked against the run it will judge,
 * before anything starts: every backend it names must be one the fleet has (in the region and
 * of the kind the fleet says), every gateway backend entity and region one the gateway
 * configuration has, every consumer class one k6.config.json defines. A verifier holding the
 * gateway to a backend that is not there would judge nothing about it, or judge the wrong
 * thing, and the run would look checked.
 *
 * Kept apart from expectations-file.ts (the file's own shape): this needs the run's fleet and
 * configuration, which a file on its own does not know.
 */
export class ExpectationsMismatchError extends UserFacingError {}

/** The parts of Expectations that name things of the fleet, the gateway or the k6 configuration. */
export type NamingExpectations = Pick<Expectations, 'backends' | 'breakers' | 'regions' | 'consumers'> & Partial<Pick<Expectations, 'entityRoutes'>>;

export interface RunFacts {
  /** The fleet's resources. */
  fleet: readonly { name: string; region: string; kind: 'ptu' | 'payg' }[];
  /** The gateway configuration's backend entity ids and regions; null when it is not known. */
  gateway: { backendIds: readonly string[]; regions: readonly string[] } | null;
  /** Consumer classes of k6.config.json. */
  consumers: readonly string[];
}

/** Every mismatch, as `<field>: <what is wrong>`; empty when the expectations fit the run. */
export function expectationsMismatches(expectations: NamingExpectations, run: RunFacts): string[] {
  const problems: string[] = [];
  const fleetNames = run.fleet.map((b) => b.name).join(', ');
  const byName = new Map(run.fleet.map((b) => [b.name, b]));
  const knownBackend = (field: string, name: string): boolean => {
    if (byName.has(name)) return true;
    problems.push(`${field}: no backend named "${name}" in the fleet (it has ${fleetNames})`);
    return false;
  };
  const knownEntity = (field: string, id: string): void => {
    if (run.gateway && !run.gateway.backendIds.includes(id)) problems.push(`${field}: no backend entity "${id}" in the gateway configuration (it has ${run.gateway.backendIds.join(', ')})`);
  };

  expectations.backends.forEach((backend, index) => {
    if (!knownBackend(`backends.${index}.name`, backend.name)) return;
    const actual = byName.get(backend.name)!;
    if (actual.region.toLowerCase() !== backend.region.toLowerCase()) problems.push(`backends.${index}.region: "${backend.region}", but the fleet's ${backend.name} is in ${actual.region}`);
    if (actual.kind !== backend.kind) problems.push(`backends.${index}.kind: "${backend.kind}", but the fleet's ${backend.name} is ${actual.kind}`);
  });

  for (const [name, breaker] of Object.entries(expectations.breakers)) {
    knownBackend(`breakers.${name}`, name);
    breaker.entities?.forEach((entity, index) => knownEntity(`breakers.${name}.entities.${index}`, entity));
    for (const entity of Object.keys(breaker.entityRules ?? {})) {
      if (breaker.entities && !breaker.entities.includes(entity)) problems.push(`breakers.${name}.entityRules.${entity}: not one of this breaker's entities (${breaker.entities.join(', ')})`);
      else knownEntity(`breakers.${name}.entityRules.${entity}`, entity);
    }
  }

  for (const [backendId, routes] of Object.entries(expectations.entityRoutes ?? {})) {
    knownEntity(`entityRoutes.${backendId}`, backendId);
    for (const [resource, entity] of Object.entries(routes)) {
      knownBackend(`entityRoutes.${backendId}.${resource}`, resource);
      knownEntity(`entityRoutes.${backendId}.${resource}`, entity);
    }
  }

  if (run.gateway) {
    const regions = run.gateway.regions;
    expectations.regions.forEach((region, index) => {
      if (!regions.some((r) => r.toLowerCase() === region.toLowerCase())) problems.push(`regions.${index}: no region "${region}" in the gateway configuration (it has ${regions.join(', ')})`);
    });
  }

  for (const consumer of Object.keys(expectations.consumers)) {
    if (!run.consumers.includes(consumer)) problems.push(`consumers.${consumer}: no consumer class "${consumer}" in the k6 configuration (it has ${run.consumers.join(', ')})`);
  }
  return problems;
}

/** Throws, naming the file and every mismatched field, when the expectations do not fit the run. */
export function checkExpectationsAgainstRun(file: string, expectations: NamingExpectations, run: RunFacts): void {
  const problems = expectationsMismatches(expectations, run);
  if (problems.length > 0) {
    throw new ExpectationsMismatchError(`the expectations do not fit this run:\n${problems.map((p) => `  ${file}: ${p}`).join('\n')}`);
  }
}
