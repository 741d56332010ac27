import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitOf, processesMentioning, refused } from '../../harness/cli/cli-test-support.ts';
import { freePort } from './container-engine-test-support.ts';
import { fleetDescriptionSchema } from '../../harness/contracts/fleet-description.ts';

/**
 * The container's process (container-main.ts) as the image runs it, on this machine: the
 * environment it reads, the fleet and front it starts, and how it stops. The image itself is
 * built and driven by container-image.test.ts where a container engine runs.
 */

const main = fileURLToPath(new URL('./container-main.ts', import.meta.url));
const token = 'container-test-token-0123456789';
const topology = { seed: 3, latencyScale: 0, resources: [{ name: 'aoai-east-1', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] }] };

const started: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function container(env: Record<string, string>, cwd: string): ChildProcessWithoutNullStreams {
  // Only what the container would have: none of this process's SPILLWAY_ variables leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SPILLWAY_')));
  const child = spawn(process.execPath, [main], { cwd, stdio: 'pipe', env: { ...base, SPILLWAY_FLEET_HOST: '127.0.0.1', ...env } });
  started.push(child);
  return child;
}

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
}


function workDir(): { dir: string; topologyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-container-'));
  const topologyFile = join(dir, 'topology.json');
  writeFileSync(topologyFile, JSON.stringify(topology));
  return { dir, topologyFile };
}

describe('the fleet container process', () => {
  it('starts the fleet behind its one port, answers APIM and the control API there, and stops cleanly on SIGTERM with the ledger written', async () => {
    const { dir, topologyFile } = workDir();
    const child = container({ SPILLWAY_CONTROL_TOKEN: token, SPILLWAY_FLEET_PORT: '0', SPILLWAY_FLEET_TOPOLOGY: topologyFile }, dir);
    const exited = exitOf(child);
    const described = fleetDescriptionSchema.parse(JSON.parse(await firstLine(child)));
    const base = described.control;
    expect(described.backends.map((b) => b.endpoint)).toEqual([`${base}/backends/aoai-east-1`]);

    expect((await fetch(`${base}/health`)).status).toBe(401);
    expect((await fetch(`${base}/health`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const chat = await fetch(`${described.backends[0]!.endpoint}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'k', 'x-correlation-id': 'container-1' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    expect(chat.status).toBe(200);
    const page = (await (await fetch(`${base}/ledger?after=0&limit=10`, { headers: { authorization: `Bearer ${token}` } })).json()) as { records: { correlationId: string }[] };
    expect(page.records.map((r) => r.correlationId)).toEqual(['container-1']);

    child.kill('SIGTERM');
    const { code, stdout, stderr } = await exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).not.toContain(token);
    // The fleet closed its ledger (the file has the request) and nothing it started is left.
    const runDir = readdirSync(join(dir, 'results'))[0]!;
    expect(readFileSync(join(dir, 'results', runDir, 'ledger.jsonl'), 'utf8')).toContain('"correlationId":"container-1"');
    expect(processesMentioning(topologyFile)).toEqual([]);
    expect(await refused(base)).toBe(true);
  });

  it('refuses a bad environment before anything starts, naming each variable (exit 2)', async () => {
    const { dir } = workDir();
    const port = await freePort();
    const { code, stderr } = await exitOf(container({ SPILLWAY_CONTROL_TOKEN: 'too-short', SPILLWAY_FLEET_PORT: String(port), SPILLWAY_FLEET_PUBLIC_URL: 'https://x.example/path' }, dir));
    expect(code).toBe(2);
    expect(stderr).toContain('SPILLWAY_CONTROL_TOKEN is 9 characters long');
    expect(stderr).toContain('SPILLWAY_FLEET_PUBLIC_URL: "https://x.example/path" must be an origin only');
    expect(stderr).not.toContain('too-short');
    expect(await refused(`http://127.0.0.1:${port}`)).toBe(true);
    expect(existsSync(join(dir, 'results'))).toBe(false);
  });

  it('refuses a bad inline topology naming the variable and the field; a bad topology file is refused by the fleet naming the file', async () => {
    const { dir } = workDir();
    const inline = await exitOf(container({ SPILLWAY_CONTROL_TOKEN: token, SPILLWAY_FLEET_PORT: '0', SPILLWAY_FLEET_TOPOLOGY_JSON: JSON.stringify({ resources: [{ name: 'aoai-east-1', region: 'East US', kind: 'gpu', deployments: 'none' }] }) }, dir));
    expect(inline.code).toBe(2);
    expect(inline.stderr).toContain('SPILLWAY_FLEET_TOPOLOGY_JSON: resources[0].kind');
    expect(existsSync(join(dir, 'results'))).toBe(false);

    const badFile = join(dir, 'bad-topology.json');
    writeFileSync(badFile, '{"resources": [}');
    const fromFile = await exitOf(container({ SPILLWAY_CONTROL_TOKEN: token, SPILLWAY_FLEET_PORT: '0', SPILLWAY_FLEET_TOPOLOGY: badFile }, dir));
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain(`${badFile}: not valid JSON`);
    expect(processesMentioning(badFile)).toEqual([]);
  });

  it('stops, with a non-zero exit code, when the fleet inside it dies: a container without its fleet must not look healthy', async () => {
    const { dir, topologyFile } = workDir();
    const child = container({ SPILLWAY_CONTROL_TOKEN: token, SPILLWAY_FLEET_PORT: '0', SPILLWAY_FLEET_TOPOLOGY: topologyFile }, dir);
    const exited = exitOf(child);
    const base = fleetDescriptionSchema.parse(JSON.parse(await firstLine(child))).control;
    const fleetPids = processesMentioning(topologyFile).filter((pid) => pid !== child.pid);
    expect(fleetPids).toHaveLength(1);
    process.kill(fleetPids[0]!, 'SIGKILL');
    const { code, stderr } = await exited;
    expect(code).not.toBe(0);
    expect(stderr).toContain('the fleet stopped by itself');
    expect(await refused(base)).toBe(true);
  });
});
