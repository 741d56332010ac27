import { afterAll, afterEach, beforeAll } from 'vitest';
import { startFleet, type RunningFleet } from '../../aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../aoai/topology.ts';
import type { RunningGateway } from './gateway.ts';
import { removeTestConfigs } from './test-config.ts';

/**
 * The lifecycle gateway tests share: one default-topology fleet per file (no modeled latency,
 * a fixed seed), the gateways a test starts closed after it, and the fleet and the test
 * configuration folders removed at the end.
 */
export interface DefaultFleetFixture {
  readonly fleet: RunningFleet;
  readonly endpoints: Map<string, string>;
  /** Push every gateway a test starts; each is closed after the test. */
  readonly gateways: RunningGateway[];
}

export function useDefaultFleet(seed: number, options: { cleanup?: () => void } = {}): DefaultFleetFixture {
  let fleet: RunningFleet | undefined;
  let endpoints = new Map<string, string>();
  const gateways: RunningGateway[] = [];
  beforeAll(async () => {
    const topology = loadTopologyFile(defaultTopologyPath);
    topology.latencyScale = 0;
    topology.seed = seed;
    fleet = await startFleet({ topology });
    endpoints = new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint]));
  });
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close()));
  });
  afterAll(async () => {
    await fleet?.close();
    options.cleanup?.();
    removeTestConfigs();
  });
  return {
    get fleet(): RunningFleet {
      if (!fleet) throw new Error('the fleet starts in beforeAll: use it inside a test or hook');
      return fleet;
    },
    get endpoints() {
      return endpoints;
    },
    gateways,
  };
}
