import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultTopologyPath, loadTopologyFile, parseTopology } from './topology.ts';

describe('the default topology', () => {
  it('is the seed architecture: two regions, each with two PTU resources and one PAYG resource', () => {
    const topology = loadTopologyFile(defaultTopologyPath);
    const byRegion = new Map<string, string[]>();
    for (const resource of topology.resources) byRegion.set(resource.region, [...(byRegion.get(resource.region) ?? []), resource.kind]);
    expect([...byRegion.keys()].sort()).toEqual(['East US', 'West US']);
    for (const kinds of byRegion.values()) expect(kinds.sort()).toEqual(['payg', 'ptu', 'ptu']);
  });

  it('hosts the same deployment names on every resource: a gpt-4o chat deployment and an embeddings deployment', () => {
    const topology = loadTopologyFile(defaultTopologyPath);
    for (const resource of topology.resources) {
      expect(resource.deployments.map((d) => [d.name, d.model])).toEqual([
        ['gpt-4o', 'gpt-4o'],
        ['text-embedding-3-small', 'text-embedding-3-small'],
      ]);
    }
  });
});

const valid = { resources: [{ name: 'aoai-a', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1000 }] }] };

function errorOf(text: string, source = 'topo.json'): string {
  try {
    parseTopology(text, source);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the topology to be rejected');
}

describe('a bad topology', () => {
  it('names the file, the line and the column of a JSON syntax error', () => {
    expect(errorOf('{\n  "resources": [\n    { "name": "x", }\n  ]\n}')).toMatch(/^topo\.json: not valid JSON: .*\(line 3,? column 20\)/);
  });

  it('names the file and the field of a wrong value', () => {
    const bad = structuredClone(valid) as { resources: Record<string, unknown>[] };
    bad.resources[0]!.kind = 'spot';
    expect(errorOf(JSON.stringify(bad))).toContain('topo.json: resources[0].kind:');
  });

  it('rejects an unknown model, naming the deployment field', () => {
    const bad = structuredClone(valid);
    bad.resources[0]!.deployments[0]!.model = 'gpt-9';
    expect(errorOf(JSON.stringify(bad))).toMatch(/topo\.json: resources\[0\]\.deployments\[0\]\.model: an unknown model/);
  });

  it('rejects unknown fields instead of ignoring them', () => {
    const bad = { ...valid, resources: [{ ...valid.resources[0], capacity: 5 }] };
    expect(errorOf(JSON.stringify(bad))).toContain('resources[0]');
    expect(errorOf(JSON.stringify(bad))).toContain('capacity');
  });

  it('rejects duplicate resource names and ports, and a missing deployment set', () => {
    const bad = {
      resources: [
        { ...valid.resources[0], port: 9001 },
        { ...valid.resources[0], port: 9001 },
        { name: 'aoai-c', region: 'West US', kind: 'payg', deployments: 'nope' },
      ],
    };
    const message = errorOf(JSON.stringify(bad));
    expect(message).toContain('resources[1].name: "aoai-a" is used by another resource');
    expect(message).toContain('resources[1].port: 9001 is already the port of aoai-a');
    expect(message).toContain('resources[2].deployments: no deploymentSets entry named "nope"');
  });

  it('rejects settings that belong to the other kind of resource', () => {
    const bad = structuredClone(valid) as { resources: { deployments: Record<string, unknown>[] }[] };
    bad.resources[0]!.deployments[0]!.rpm = 60;
    expect(errorOf(JSON.stringify(bad))).toContain('resources[0].deployments[0]: rpm and capacity429Rate apply to payg resources only');
  });

  it('names a file that cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'topology-'));
    expect(() => loadTopologyFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the topology file \(ENOENT\)/);
    const file = join(dir, 'bad.json');
    writeFileSync(file, '[]');
    expect(() => loadTopologyFile(file)).toThrow(/bad\.json: \(top level\)/);
  });
});
