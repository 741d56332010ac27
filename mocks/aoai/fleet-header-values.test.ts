import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from './fleet.ts';
import { parseTopology, TopologyError } from './topology.ts';

/**
 * Response headers are built as plain records. Values that come from outside must never make
 * a request fail as a handler error: a deployment name decoded from the URL is named back only
 * when the resource hosts it (the topology allows only header-safe deployment names), and a
 * region that could not go out in x-ms-region is refused when the topology is read.
 */

const running: RunningFleet[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fleet) => fleet.close()));
});

function topologyIn(region: string): string {
  return JSON.stringify({ seed: 1, latencyScale: 0, resources: [{ name: 'aoai-one', region, kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] }] });
}

async function fleetIn(region: string): Promise<RunningFleet> {
  const fleet = await startFleet({ topology: parseTopology(topologyIn(region), 'test') });
  running.push(fleet);
  return fleet;
}

async function chat(fleet: RunningFleet, deploymentInPath: string): Promise<{ status: number; code: unknown; deploymentHeader: string | null }> {
  const res = await fetch(`${fleet.describe().backends[0]!.endpoint}/openai/deployments/${deploymentInPath}/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'k', 'x-fleet-completion-tokens': '2' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { error?: { code?: unknown } };
  return { status: res.status, code: body.error?.code, deploymentHeader: res.headers.get('x-ms-deployment-name') };
}

describe('fleet: header values from outside', () => {
  it('answers 404 DeploymentNotFound, recorded, for a deployment name that cannot be a header value', async () => {
    const fleet = await fleetIn('East US');
    for (const name of ['%E2%9C%93', 'a%0Ab', '%20gpt-4o']) {
      expect(await chat(fleet, name), name).toEqual({ status: 404, code: 'DeploymentNotFound', deploymentHeader: null });
    }
    const reasons = fleet.ledger.read(0, 10).records.map((r) => r.type === 'request' && [r.status, r.reason]);
    expect(reasons).toEqual([
      [404, 'not-found'],
      [404, 'not-found'],
      [404, 'not-found'],
    ]);
    // A hosted deployment is named back.
    expect(await chat(fleet, 'gpt-4o')).toMatchObject({ status: 200, deploymentHeader: 'gpt-4o' });
  });

  it('refuses a topology whose region cannot go out in a header, naming the file and the field', () => {
    for (const region of ['東京', 'East\nUS', ' East US', 'East US ']) {
      expect(() => parseTopology(topologyIn(region), 'fleet.json'), JSON.stringify(region)).toThrow(TopologyError);
      expect(() => parseTopology(topologyIn(region), 'fleet.json')).toThrow(/fleet\.json: resources\[0\]\.region: a region name of printable ASCII/);
    }
    expect(parseTopology(topologyIn('Sweden Central'), 'fleet.json').resources[0]!.region).toBe('Sweden Central');
  });
});
