import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { exitOf, refused, spillway } from './cli-test-support.ts';
import { checkGatewayConfig } from './gateway-check.ts';
import { sampleConfigDir } from './gateway-command.ts';

interface GatewayDescription {
  frontDoor: string;
  regions: { name: string; url: string }[];
  subscriptions: { name: string; product: string; key?: string }[];
  fleet: { backends: { name: string; endpoint: string }[]; control: string };
  logs: string;
}

describe('spillway gateway up', () => {
  it('starts the fleet, both regional gateways and the front door, serves through them, and stops on Ctrl-C', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'gateway-up-'));
    const child = spillway(['gateway', 'up', '--json', '--latency-scale', '0', '--seed', '2', '--logs', logs]);
    const exited = exitOf(child);
    const description = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))) as GatewayDescription;

    expect(description.regions.map((r) => r.name)).toEqual(['East US', 'West US']);
    expect(description.fleet.backends).toHaveLength(6);
    const userFacing = description.subscriptions.find((s) => s.name === 'user-facing');
    expect(userFacing).toEqual({ name: 'user-facing', product: 'ai-gateway', key: 'local-user-facing-key' });

    const response = await fetch(`${description.frontDoor}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': userFacing!.key! },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 10 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-fd-origin')).toBe('East US');
    expect(response.headers.get('x-fleet-region')).toBe('East US');
    expect((await fetch(`${description.regions[1]!.url}/status-0123456789abcdef`)).status).toBe(200);

    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
    for (const url of [description.frontDoor, ...description.regions.map((r) => r.url), ...description.fleet.backends.map((b) => b.endpoint), description.fleet.control]) {
      expect(await refused(url)).toBe(true);
    }
    const rows = readFileSync(join(logs, 'ApiManagementGatewayLogs.jsonl'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!)).toMatchObject({ ResponseCode: 200, ApimSubscriptionId: 'user-facing', Region: 'East US' });
    expect(rows[0]).not.toContain('local-user-facing-key');
  });

  it('refuses a configuration with problems before starting anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-bad-'));
    cpSync(sampleConfigDir, dir, { recursive: true });
    const policy = join(dir, 'apis', 'azure-openai', 'policy.xml');
    writeFileSync(policy, readFileSync(policy, 'utf8').replace('<base />', '<base /><retry condition="@(true)" count="99" interval="0"><forward-request /></retry>'));
    const { code, stdout, stderr } = await exitOf(spillway(['gateway', 'up', '--json', '--config', dir]));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`${policy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: retry: .*count`));
  });
});

describe('spillway gateway check', () => {
  it('passes the shipped sample', () => {
    const result = checkGatewayConfig(sampleConfigDir);
    expect(result.ok).toBe(true);
    expect(result.summary?.regions).toEqual(['East US', 'West US']);
  });

  it('lists unsupported elements apart from typos, each with file, line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-check-'));
    cpSync(sampleConfigDir, dir, { recursive: true });
    const policy = join(dir, 'policy.xml');
    const text = readFileSync(policy, 'utf8');
    // The sample's service policy has an empty <inbound />: give it two bad children.
    expect(text).toContain('<inbound />');
    writeFileSync(policy, text.replace('<inbound />', '<inbound>\n    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />\n    <set-hedaer name="x" exists-action="override" />\n  </inbound>'));
    const line = text.slice(0, text.indexOf('<inbound />')).split('\n').length + 1;
    const result = checkGatewayConfig(dir);
    expect(result.ok).toBe(false);
    expect(result.unsupported).toEqual([expect.objectContaining({ file: policy, line, element: 'cache-lookup' })]);
    expect(result.problems).toEqual([expect.objectContaining({ file: policy, line: line + 1, element: 'set-hedaer' })]);
    expect(result.problems[0]!.message).toContain("did you mean 'set-header'");
  });

  it('reports configuration problems with the file and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-check-cfg-'));
    cpSync(sampleConfigDir, dir, { recursive: true });
    const pool = join(dir, 'backends', 'aoai-eastus-pool', 'backendInformation.json');
    writeFileSync(pool, readFileSync(pool, 'utf8').replace('"priority": 2', '"priority": 200'));
    const result = checkGatewayConfig(dir);
    expect(result.ok).toBe(false);
    expect(result.problems.some((p) => p.file === pool && /priority/.test(`${p.field ?? ''} ${p.message}`))).toBe(true);
  });
});
