import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import type { ConfigSourceRow } from '../../mocks/apim/gateway/config-source.ts';
import { defaultGatewayConfigDir } from '../run/run-scenario.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';
import { processInjector } from './process-injector.ts';

/**
 * A regional gateway as its own process, killed, paused and restarted for real, and its
 * configuration source cut off, served a bad configuration and a good new one. The process is
 * started through setpriv's parent-death signal, and afterAll closes it whatever happened.
 */
const chat = (url: string, key = 'local-user-facing-key'): Promise<Response> =>
  fetch(`${url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': key, 'x-priority': 'medium', connection: 'close' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 }),
  });

/** Waits (bounded) until `check` holds; the assertion that follows says what was expected. */
async function until(check: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

const sourceRows = (gateway: GatewayProcess): ConfigSourceRow[] => {
  const path = join(gateway.dir, 'config-source.jsonl');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as ConfigSourceRow) : [];
};
const gatewayRows = (gateway: GatewayProcess): { ResponseCode: number }[] =>
  readFileSync(join(gateway.dir, 'ApiManagementGatewayLogs.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { ResponseCode: number });

describe('a regional gateway as its own process', () => {
  let fleet: RunningFleet;
  let gateway: GatewayProcess;
  let configDir: string;
  const root = mkdtempSync(join(tmpdir(), 'gateway-process-'));
  beforeAll(async () => {
    const topology = loadTopologyFile(defaultTopologyPath);
    topology.latencyScale = 0;
    fleet = await startFleet({ topology });
    // A copy, so the config source tests can change it.
    configDir = join(root, 'config');
    cpSync(defaultGatewayConfigDir, configDir, { recursive: true });
    gateway = await startGatewayProcess({
      configDir,
      region: 'West US',
      fleetEndpoints: new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint])),
      dir: join(root, 'west-us'),
      pollSeconds: 0.2,
    });
  }, 30_000);
  afterAll(async () => {
    await gateway?.close();
    await fleet?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves, and each row is on disk once the request is answered', async () => {
    expect((await chat(gateway.url)).status).toBe(200);
    await until(() => gatewayRows(gateway).length >= 1);
    expect(gatewayRows(gateway).at(-1)?.ResponseCode).toBe(200);
  });

  it('kill: connections are refused until the step ends, then the same URL serves again', async () => {
    const rowsBefore = gatewayRows(gateway).length;
    const pid = gateway.process.pid;
    await gateway.process.kill();
    const refused = await chat(gateway.url).then(
      () => null,
      (error: Error & { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(refused).toBe('ECONNREFUSED');
    await gateway.process.start();
    expect(gateway.process.pid).not.toBe(pid);
    expect((await chat(gateway.url)).status).toBe(200);
    // The killed process's rows are kept, and the new one appends to them.
    await until(() => gatewayRows(gateway).length > rowsBefore);
    expect(gatewayRows(gateway).length).toBe(rowsBefore + 1);
  });

  it('pause: a request hangs while the process is stopped and is answered after SIGCONT', async () => {
    gateway.process.pause();
    let settled = false;
    const pending = chat(gateway.url).then((response) => {
      settled = true;
      return response.status;
    });
    // Long enough for a running gateway to answer many times over (it answers in milliseconds above).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(settled).toBe(false);
    gateway.process.resume();
    expect(await pending).toBe(200);
  });

  it('restart: SIGTERM and a new process at once, on the same URL', async () => {
    const pid = gateway.process.pid;
    const url = gateway.url;
    const ready = await gateway.process.restart();
    expect(gateway.process.pid).not.toBe(pid);
    expect(ready.url).toBe(url);
    expect((await chat(gateway.url)).status).toBe(200);
  });

  describe('its configuration source', () => {
    it('unreachable: keeps serving the configuration it had, and logs it', async () => {
      const serving = sourceRows(gateway).at(-1)!.servingVersion;
      gateway.disconnectConfig();
      await until(() => sourceRows(gateway).some((row) => row.outcome === 'unreachable'));
      const row = sourceRows(gateway).find((r) => r.outcome === 'unreachable');
      expect(row).toMatchObject({ outcome: 'unreachable', servingVersion: serving });
      expect(row?.problem).toMatch(/ENOENT/);
      expect((await chat(gateway.url)).status).toBe(200);
      gateway.reconnectConfig();
      await until(() => sourceRows(gateway).at(-1)?.outcome === 'reachable');
      expect(sourceRows(gateway).at(-1)).toMatchObject({ outcome: 'reachable', servingVersion: serving });
    });

    it('a bad configuration: refused, the last good one kept, and logged', async () => {
      const serving = sourceRows(gateway).at(-1)!.servingVersion;
      const policy = join(configDir, 'policy.xml');
      const good = readFileSync(policy, 'utf8');
      writeFileSync(policy, '<policies><inbound><base /><no-such-policy /></inbound>');
      try {
        await until(() => sourceRows(gateway).some((row) => row.outcome === 'rejected'));
        const row = sourceRows(gateway).find((r) => r.outcome === 'rejected');
        expect(row).toMatchObject({ outcome: 'rejected', servingVersion: serving });
        expect(row?.offeredVersion).not.toBe(serving);
        expect(row?.problem).toMatch(/policy\.xml/);
        expect((await chat(gateway.url)).status).toBe(200);
      } finally {
        writeFileSync(policy, good);
      }
      await until(() => sourceRows(gateway).at(-1)?.outcome === 'reachable');
      expect(sourceRows(gateway).at(-1)).toMatchObject({ outcome: 'reachable', servingVersion: serving });
    });

    it('a disconnect-config step cuts the source for its duration, through the injector', async () => {
      const before = sourceRows(gateway).length;
      const rollback = await processInjector(new Map([['west us', gateway]]))({ id: 'cut', at: 0, kind: 'process', action: 'disconnect-config', process: { of: 'gateway', region: 'West US' } });
      await until(() => sourceRows(gateway).slice(before).some((row) => row.outcome === 'unreachable'));
      expect(sourceRows(gateway).slice(before).map((row) => row.outcome)).toEqual(['unreachable']);
      expect((await chat(gateway.url)).status).toBe(200);
      await rollback();
      await until(() => sourceRows(gateway).at(-1)?.outcome === 'reachable');
      expect(sourceRows(gateway).slice(before).map((row) => row.outcome)).toEqual(['unreachable', 'reachable']);
    });

    it('a good new configuration is picked up', async () => {
      const emulatorFile = join(configDir, 'emulator.json');
      const emulator = readFileSync(emulatorFile, 'utf8');
      expect(emulator).toContain('"local-user-facing-key"');
      writeFileSync(emulatorFile, emulator.replace('"local-user-facing-key"', '"local-user-facing-key-rotated"'));
      await until(() => sourceRows(gateway).at(-1)?.outcome === 'applied');
      const row = sourceRows(gateway).at(-1)!;
      expect(row.outcome).toBe('applied');
      expect(row.servingVersion).toBe(row.offeredVersion);
      expect((await chat(gateway.url, 'local-user-facing-key-rotated')).status).toBe(200);
      expect((await chat(gateway.url, 'local-user-facing-key')).status).toBe(401);
    });
  });
});
