import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toxiproxyClient } from '../network/toxiproxy-client.ts';
import { k6Spec, toxiproxySpec } from '../tools/tool-specs.ts';
import { listSpillwayContainers, removeOrphanedContainers } from './container-cleanup.ts';
import { engineForTests } from './container-engine-for-tests.ts';
import { prepareContainerRuntime, type PreparedContainerRuntime } from './container-runtime.ts';
import { startK6InContainer } from './k6-container.ts';
import { isStaticExecutable, recordedCgo, staticBinaryFor } from './local-images.ts';
import { resolveTool } from '../tools/resolve-tool.ts';
import { startToxiproxyContainer } from './toxiproxy-container.ts';

/**
 * The container runtime against a real engine (Docker, or Podman's Docker-compatible service):
 * both images built from the pinned binaries, k6 in its container for a few seconds against a
 * loopback server with its samples read back, k6 stopped mid-run, Toxiproxy in its container
 * proxying to a loopback server, and a harness killed outright leaving a container that the
 * next start removes. Every container carries this test's label; none is left at the end.
 * Skipped, saying why, where no engine answers.
 */

const repo = fileURLToPath(new URL('../..', import.meta.url));
const testLabel = { name: 'io.spillway.test', value: `containers-${process.pid}` };
const labels = { [testLabel.name]: testLabel.value };

let prepared: PreparedContainerRuntime | null = null;
let skip: string | null = null;
let server: Server;
let served = 0;
let serverUrl = '';
const folders: string[] = [];

beforeAll(async () => {
  server = createServer((_request, response) => {
    served++;
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const found = await engineForTests();
  if (found.engine === null) {
    skip = found.skip;
    return;
  }
  prepared = await prepareContainerRuntime({ flag: '--runtime container', log: (line) => process.stderr.write(`${line}\n`) });
}, 900_000);

afterAll(async () => {
  // A failed test may have left its containers (a 10-minute k6 among them): none outlives the file.
  if (prepared) {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    for (const { id } of await listSpillwayContainers(testLabel)) await client.container.dockerode.getContainer(id).remove({ force: true }).catch(() => {});
  }
  await new Promise((resolve) => server.close(resolve));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function runFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'spillway-k6-container-'));
  folders.push(folder);
  return folder;
}

function k6Script(folder: string, duration: string): string {
  const script = join(folder, 'script.js');
  writeFileSync(
    script,
    `import http from 'k6/http';\nexport const options = { vus: 2, duration: '${duration}' };\nexport default function () { http.get(__ENV.TARGET_URL); }\n`,
  );
  return script;
}

async function noContainersLeft(): Promise<void> {
  expect(await listSpillwayContainers(testLabel)).toEqual([]);
}

describe('the container runtime (testcontainers)', () => {
  it('builds both images FROM scratch out of static pinned binaries', async (context) => {
    if (!prepared) return context.skip(skip ?? 'no engine'); // reason: printed by engineForTests above
    expect(prepared.images).toEqual({ k6: 'grafana/k6:2.2.0', toxiproxy: 'ghcr.io/shopify/toxiproxy:2.12.0' });
    for (const spec of [k6Spec, toxiproxySpec]) {
      const binary = await staticBinaryFor(spec, (await resolveTool(spec, { install: false })).path);
      expect(await isStaticExecutable(binary)).toBe(true);
      expect(await recordedCgo(binary)).toBe('0');
    }
  });

  it('runs k6 in its container for 5 s against a loopback server, writing raw samples and the summary export into the mounted run folder, then removes it', { timeout: 180_000 }, async (context) => {
    if (!prepared) return context.skip(skip ?? 'no engine'); // reason: printed by engineForTests above
    const folder = runFolder();
    const script = k6Script(folder, '5s');
    const lines: string[] = [];
    served = 0;
    const run = startK6InContainer({
      image: prepared.images.k6,
      argv: ['run', '--quiet', '--no-color', '--out', `json=${join(folder, 'k6-samples.json')}`, '--summary-export', join(folder, 'k6-summary-export.json'), script],
      env: { TARGET_URL: serverUrl },
      mounts: [folder],
      logFile: join(folder, 'k6-output.log'),
      onLine: (line) => lines.push(line),
      labels,
    });
    const exit = await run.done;
    expect(exit.exitCode, readFileSync(join(folder, 'k6-output.log'), 'utf8')).toBe(0);
    const samples = readFileSync(join(folder, 'k6-samples.json'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { type: string; metric: string; data: { value: number; tags?: { url?: string } } });
    const requests = samples.filter((sample) => sample.type === 'Point' && sample.metric === 'http_reqs');
    // Every request k6 counted reached this process's loopback server: host networking.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.length).toBe(served);
    expect(requests.every((sample) => sample.data.tags?.url === serverUrl)).toBe(true);
    const summary = JSON.parse(readFileSync(join(folder, 'k6-summary-export.json'), 'utf8')) as { metrics: { http_reqs: { count: number } } };
    expect(summary.metrics.http_reqs.count).toBe(served);
    expect(await run.containerId).toMatch(/^[0-9a-f]{12,}$/);
    await noContainersLeft();
  });

  it('stops k6 mid-run (an abort, as Ctrl-C through the run) and removes its container', { timeout: 180_000 }, async (context) => {
    if (!prepared) return context.skip(skip ?? 'no engine'); // reason: printed by engineForTests above
    const folder = runFolder();
    served = 0;
    const run = startK6InContainer({
      image: prepared.images.k6,
      argv: ['run', '--quiet', '--no-color', k6Script(folder, '10m')],
      env: { TARGET_URL: serverUrl },
      mounts: [folder],
      logFile: join(folder, 'k6-output.log'),
      labels,
    });
    let ended = false;
    void run.done.then(() => (ended = true));
    while (served === 0 && !ended) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended, 'k6 ended before sending a request').toBe(false);
    expect(await listSpillwayContainers(testLabel)).toHaveLength(1);
    run.stop();
    const exit = await run.done;
    // 105: k6's "externally aborted", its answer to SIGINT.
    expect(exit.exitCode).toBe(105);
    await noContainersLeft();
  });

  it('starts Toxiproxy in its container on the host network; a proxy created through its API reaches a loopback server; stop removes it', { timeout: 120_000 }, async (context) => {
    if (!prepared) return context.skip(skip ?? 'no engine'); // reason: printed by engineForTests above
    const toxiproxy = await startToxiproxyContainer({ image: prepared.images.toxiproxy, labels });
    try {
      const client = toxiproxyClient(toxiproxy.apiUrl);
      expect(await client.version()).toContain('2.12.0');
      const proxy = await client.createProxy({ name: 'backend', listen: '127.0.0.1:0', upstream: serverUrl.replace('http://', '') });
      served = 0;
      const response = await fetch(`http://${proxy.listen}/through-the-proxy`);
      expect(await response.text()).toBe('ok');
      expect(served).toBe(1);
      await client.setEnabled('backend', false);
      await expect(fetch(`http://${proxy.listen}/`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
    } finally {
      await toxiproxy.stop();
    }
    await noContainersLeft();
  });

  it('removes, on the next start, a container whose harness was killed outright (SIGKILL: no cleanup could run)', { timeout: 120_000 }, async (context) => {
    if (!prepared) return context.skip(skip ?? 'no engine'); // reason: printed by engineForTests above
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startToxiproxyContainer } = await import(${JSON.stringify(join(repo, 'harness/containers/toxiproxy-container.ts'))});
         const server = await startToxiproxyContainer({ image: ${JSON.stringify(prepared.images.toxiproxy)}, labels: ${JSON.stringify(labels)} });
         console.log('started ' + server.containerId);
         setInterval(() => {}, 1000);`,
      ],
      { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const started = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const id = /started (\w+)/.exec(chunk)?.[1];
        if (id) resolve(id);
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before starting its container`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const left = await listSpillwayContainers(testLabel);
    expect(left.map((container) => container.id)).toEqual([started]);
    expect(await removeOrphanedContainers()).toContain(started);
    await noContainersLeft();
  });
});
