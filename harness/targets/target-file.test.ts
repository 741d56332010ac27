import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryUrlOf, loadTargetFile } from './target-file.ts';

const good = {
  kind: 'apim',
  frontDoorUrl: 'https://contoso-ai.azurefd.net',
  gateways: [
    { region: 'East US', url: 'https://contoso-apim.azure-api.net' },
    { region: 'West US', url: 'https://contoso-apim-westus-01.regional.azure-api.net' },
  ],
  keys: { 'user-facing': 'CONTOSO_KEY_USER_FACING' },
  workspaceId: '4b6b1c7e-9f2a-4f3e-8a1d-2c3b4d5e6f70',
  fleet: { control: 'https://spillway-fleet.eastus.azurecontainerapps.io:8443' },
};

function file(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'target-file-')), 'target.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadTargetFile', () => {
  it('reads a target file, with the defaults filled in', () => {
    const target = loadTargetFile(file(good));
    expect(target.fleet.tokenEnv).toBe('SPILLWAY_CONTROL_TOKEN');
    expect(target.healthPath).toBe('/status-0123456789abcdef');
    expect(entryUrlOf(target, 'front-door')).toBe('https://contoso-ai.azurefd.net');
    expect(entryUrlOf(target, 'primary-region')).toBe('https://contoso-apim.azure-api.net');
    expect(entryUrlOf({ ...target, frontDoorUrl: undefined }, 'front-door')).toBe('https://contoso-apim.azure-api.net');
  });

  it('names the file and every wrong field at once', () => {
    const path = file({ ...good, workspaceId: 'my-workspace', keys: { 'user-facing': 'sk-live-123' }, gateways: [{ region: 'East US', url: 'https://u:p@x.net' }, { region: 'east us', url: 'https://y.net' }], extra: 1 });
    let message = '';
    try {
      loadTargetFile(path);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const expected of [
      `${path}: workspaceId: must be the workspace id, a GUID`,
      `${path}: keys.user-facing: must be an environment variable name (A-Z, 0-9, _), not a value: the file holds no secret`,
      `${path}: gateways.0.url: must be a base URL without credentials, query or fragment`,
      `${path}: (top level): Unrecognized key: "extra"`,
    ]) expect(message).toContain(expected);
  });

  it('reads the optional metrics resource, and names metrics.resourceId when it is not an APIM resource id', () => {
    const resourceId = '/subscriptions/0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b/resourceGroups/rg-ai/providers/Microsoft.ApiManagement/service/contoso-apim';
    expect(loadTargetFile(file(good)).metrics).toBeUndefined();
    expect(loadTargetFile(file({ ...good, metrics: { resourceId } })).metrics).toEqual({ resourceId });
    expect(loadTargetFile(file({ ...good, metrics: { resourceId, region: 'eastus', tier: 'v2' } })).metrics).toEqual({ resourceId, region: 'eastus', tier: 'v2' });
    for (const [metrics, expected] of [
      [{ resourceId: 'contoso-apim' }, "metrics.resourceId: must be the API Management service's resource id"],
      [{ resourceId: resourceId.replace('Microsoft.ApiManagement/service', 'Microsoft.Web/sites') }, 'metrics.resourceId: must be'],
      [{ resourceId: resourceId.replace('0b1c2d3e-', 'sub-') }, 'metrics.resourceId: must be'],
      [{ resourceId, tier: 'premium' }, 'metrics.tier: must be "classic"'],
      [{ resourceId, region: 'east-us' }, 'metrics.region: must be an Azure location'],
      [{ resourceId, workspace: 'x' }, 'metrics: Unrecognized key: "workspace"'],
    ] as const) {
      const path = file({ ...good, metrics });
      expect(() => loadTargetFile(path)).toThrow(`${path}: ${expected}`);
    }
  });

  it('refuses a region twice, a file that is not JSON, and one that is not there', () => {
    expect(() => loadTargetFile(file({ ...good, gateways: [good.gateways[0], { ...good.gateways[0], url: 'https://z.net' }] }))).toThrow(/gateways: each region appears once/);
    const notJson = file('{ kind: apim');
    expect(() => loadTargetFile(notJson)).toThrow(`${notJson}: not valid JSON`);
    expect(() => loadTargetFile('/nonexistent/target.json')).toThrow('/nonexistent/target.json: cannot read (ENOENT)');
  });
});
