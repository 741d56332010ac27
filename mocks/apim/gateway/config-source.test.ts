import { cpSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../config/index.ts';
import { defaultGatewayConfigDir } from '../../../harness/run/run-scenario.ts';
import { compileGateway, type CompiledGateway } from './compiled-gateway.ts';
import { droppedConfigurationVersion, startConfigSource, versionOfFolder } from './config-source.ts';

/**
 * What the source does when it becomes unreachable: by default nothing is applied (the gateway
 * keeps serving, as a self-hosted gateway does); with the 'drop-configuration' breakage (the
 * self-hosted-gateway-disconnected drill's broken gateway) an empty configuration is applied
 * until the source is back, and the real one again then.
 */
function sourceFolder(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'config-source-')), 'apim');
  cpSync(defaultGatewayConfigDir, dir, { recursive: true });
  return dir;
}

function started(dir: string, whenUnreachable?: 'keep-serving' | 'drop-configuration') {
  const applied: { version: string; apis: number; subscriptions: number }[] = [];
  const source = startConfigSource({
    dir,
    pollSeconds: 3600,
    initial: { compiled: compileGateway(loadGatewayConfig(dir)), version: versionOfFolder(dir) },
    apply: (next: CompiledGateway, version) => applied.push({ version, apis: next.config.apis.length, subscriptions: next.config.subscriptions.length }),
    logsDir: null,
    ...(whenUnreachable ? { whenUnreachable } : {}),
  });
  return { source, applied };
}

describe('config source: when its folder is unreachable', () => {
  it('keeps serving by default: nothing applied, the row says the version still served', async () => {
    const dir = sourceFolder();
    const { source, applied } = started(dir);
    const version = source.servingVersion;
    renameSync(dir, `${dir}-gone`);
    await source.poll();
    renameSync(`${dir}-gone`, dir);
    await source.poll();
    source.stop();
    expect(applied).toEqual([]);
    expect(source.rows.map((r) => [r.outcome, r.servingVersion])).toEqual([['started', version], ['unreachable', version], ['reachable', version]]);
  });

  it("the 'drop-configuration' breakage serves nothing while cut off, and the source's version once back", async () => {
    const dir = sourceFolder();
    const { source, applied } = started(dir, 'drop-configuration');
    const version = source.servingVersion;
    renameSync(dir, `${dir}-gone`);
    await source.poll();
    expect(source.servingVersion).toBe(droppedConfigurationVersion);
    renameSync(`${dir}-gone`, dir);
    await source.poll();
    source.stop();
    expect(applied).toEqual([
      { version: droppedConfigurationVersion, apis: 0, subscriptions: 0 },
      { version, apis: expect.any(Number), subscriptions: expect.any(Number) },
    ]);
    expect(applied[1]!.apis).toBeGreaterThan(0);
    expect(source.rows.map((r) => [r.outcome, r.servingVersion])).toEqual([['started', version], ['unreachable', droppedConfigurationVersion], ['applied', version]]);
  });
});
