import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFleet, type RunningFleet } from './fleet.ts';
import { parseTopology } from './topology.ts';

/**
 * Response headers are built as plain records and validated once, by the Response. Values
 * that come from outside (the region, a deployment name decoded from the URL) must still
 * fail a request where a Headers object used to reject them: before the ledger records an
 * answer the client never gets.
 */

const running: RunningFleet[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(running.splice(0).map((fleet) => fleet.close()));
});

async function fleetIn(region: string): Promise<RunningFleet> {
  const topology = parseTopology(
    JSON.stringify({ seed: 1, latencyScale: 0, resources: [{ name: 'aoai-one', region, kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] }] }),
    'test',
  );
  const fleet = await startFleet({ topology });
  running.push(fleet);
  return fleet;
}

async function chat(fleet: RunningFleet, deploymentInPath: string): Promise<number> {
  const res = await fetch(`${fleet.describe().backends[0]!.endpoint}/openai/deployments/${deploymentInPath}/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'k', 'x-fleet-completion-tokens': '2' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('fleet: header values from outside', () => {
  it('fails a request whose deployment name cannot be a header value, and records nothing', async () => {
    // The adapter reports the handler error on stderr; keep the test output clean.
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const fleet = await fleetIn('East US');
    expect(await chat(fleet, '%E2%9C%93')).toBe(500);
    expect(await chat(fleet, 'a%0Ab')).toBe(500);
    expect(fleet.ledger.read(0, 10).records).toEqual([]);
    // A padded name is trimmed as a header value and is simply not found.
    expect(await chat(fleet, '%20gpt-4o')).toBe(404);
    expect(fleet.ledger.read(0, 10).records.map((r) => r.type === 'request' && r.reason)).toEqual(['not-found']);
  });

  it('fails every request of a resource whose region cannot be a header value, and records nothing', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const fleet = await fleetIn('東京');
    expect(await chat(fleet, 'gpt-4o')).toBe(500);
    expect(fleet.ledger.read(0, 10).records).toEqual([]);
  });
});
