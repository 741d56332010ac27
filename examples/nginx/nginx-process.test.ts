import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allProcesses, readProcess, stillRunning } from '../../harness/cli/process-census.ts';
import { probeParentDeathSignal } from '../../harness/run/parent-death-signal.ts';
import { findNginx } from './find-nginx.ts';
import { NginxTemplateError, nginxTemplatePath } from './nginx-config.ts';
import { NginxStartError, startNginx, type RunningNginx } from './nginx-process.ts';

/**
 * The nginx example's process, against stand-in backends (plain Node listeners that record what
 * reached them): it starts on loopback, answers its health path, and leaves nothing behind
 * however it ends. The gateway's behaviour against the real fleet is nginx-fleet.test.ts.
 */
const lookup = await findNginx();
if (lookup.status === 'missing') process.stdout.write(`nginx-process.test.ts: skipped: ${lookup.reason}\n`);
const setprivFound = !probeParentDeathSignal('setpriv').missingReason;
if (lookup.status === 'found' && !setprivFound) process.stdout.write('nginx-process.test.ts: the SIGKILL case is skipped: setpriv (util-linux) cannot set a parent-death signal here\n');

interface Backend {
  name: string;
  server: Server;
  endpoint: string;
  received: IncomingHttpHeaders[];
}

const backends: Backend[] = [];
const started: RunningNginx[] = [];
const work = mkdtempSync(join(tmpdir(), 'nginx-process-test-'));

beforeAll(async () => {
  for (const name of ['aoai-eastus-ptu1', 'aoai-eastus-ptu2', 'aoai-eastus-payg']) {
    const backend: Backend = { name, server: createServer(), endpoint: '', received: [] };
    backend.server.on('request', (request, response) => {
      backend.received.push(request.headers);
      request.resume();
      request.on('end', () => {
        response.setHeader('content-type', 'application/json');
        response.setHeader('x-backend', name);
        response.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    const address = backend.server.address();
    backend.endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    backends.push(backend);
  }
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((nginx) => nginx.stop()));
});

afterAll(async () => {
  await Promise.all(backends.map((b) => new Promise((resolve) => b.server.close(resolve))));
  rmSync(work, { recursive: true, force: true });
});

const fleet = (): { backends: { name: string; region: string; kind: 'ptu' | 'payg'; endpoint: string; deployments: { name: string; model: string; capacityTpm: number }[] }[] } => ({
  backends: backends.map((b) => ({ name: b.name, region: 'East US', kind: b.name.endsWith('payg') ? 'payg' : 'ptu', endpoint: b.endpoint, deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1000 }] })),
});

async function start(options: Partial<Parameters<typeof startNginx>[0]> = {}): Promise<RunningNginx> {
  const nginx = await startNginx({ fleet: fleet(), ...options });
  started.push(nginx);
  return nginx;
}

/** Processes this test process started whose command line names nginx. */
function ourNginxProcesses(): string[] {
  return allProcesses()
    .filter((p) => p.ppid === process.pid && p.state !== 'Z' && p.command.includes('nginx'))
    .map((p) => `${p.pid} ${p.command}`);
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe.skipIf(lookup.status === 'missing')('startNginx', () => {
  it('starts the example on a free loopback port, answers its health path, and proxies to the PTU backends', async () => {
    const nginx = await start();
    expect(nginx.url).toBe(`http://127.0.0.1:${nginx.port}`);
    const health = await fetch(`${nginx.url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    const answer = await fetch(`${nginx.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-backend')).toMatch(/^aoai-eastus-ptu[12]$/);
    expect(readFileSync(nginx.configPath, 'utf8')).toContain(`listen 127.0.0.1:${nginx.port};`);
  });

  it('passes api-key, X-Priority and the client\'s x-ms-client-request-id through, and fills in a request id when the client sent none', async () => {
    const nginx = await start();
    const url = `${nginx.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`;
    const before = backends.flatMap((b) => b.received).length;
    await (await fetch(url, { method: 'POST', body: '{}', headers: { 'api-key': 'key-1', 'x-priority': 'medium', 'x-ms-client-request-id': 'client-id-1' } })).text();
    await (await fetch(url, { method: 'POST', body: '{}', headers: { 'api-key': 'key-2' } })).text();
    const received = backends.flatMap((b) => b.received).slice(before);
    expect(received).toHaveLength(2);
    const withId = received.find((h) => h['api-key'] === 'key-1')!;
    expect(withId).toMatchObject({ 'x-priority': 'medium', 'x-ms-client-request-id': 'client-id-1' });
    expect(received.find((h) => h['api-key'] === 'key-2')!['x-ms-client-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('stop() ends nginx, frees the port and removes its folder', async () => {
    const nginx = await start();
    expect(readProcess(nginx.pid)?.command).toContain('nginx');
    await nginx.stop();
    expect(readProcess(nginx.pid)).toBeNull();
    expect(await refusesConnections(nginx.port)).toBe(true);
    expect(existsSync(nginx.prefix)).toBe(false);
    await nginx.stop();
  });

  it('keeps the folder, with the configuration and the logs, when asked to', async () => {
    const nginx = await start({ keepPrefix: true });
    await (await fetch(`${nginx.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, { method: 'POST', body: '{}' })).text();
    await nginx.stop();
    expect(readFileSync(nginx.accessLogPath, 'utf8')).toMatch(/"POST \/openai\/deployments\/gpt-4o\/chat\/completions\?api-version=2024-10-21 HTTP\/1\.1" 200 upstreams="127\.0\.0\.1:\d+" statuses="200"/);
    rmSync(nginx.prefix, { recursive: true, force: true });
  });

  it.skipIf(!setprivFound)('nginx dies with the process that started it when that one is killed outright (SIGKILL)', { timeout: 30_000 }, async () => {
    const module = fileURLToPath(new URL('./nginx-process.ts', import.meta.url));
    const code = `import { startNginx } from ${JSON.stringify(module)};
const nginx = await startNginx({ fleet: ${JSON.stringify(fleet())} });
process.stdout.write(JSON.stringify({ pid: nginx.pid, port: nginx.port, prefix: nginx.prefix }) + '\\n');
setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      owner.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\n')) resolve(text.split('\n')[0]!);
      });
      owner.once('exit', (code) => reject(new Error(`the owner exited (${code}) before starting nginx`)));
    });
    const { pid, port, prefix } = JSON.parse(line) as { pid: number; port: number; prefix: string };
    const entry = readProcess(pid)!;
    expect(entry.command).toContain('nginx');
    owner.kill('SIGKILL');
    await until(() => !stillRunning(entry), 10_000).catch(() => undefined);
    const left = stillRunning(entry);
    if (left) process.kill(pid, 'SIGKILL');
    rmSync(prefix, { recursive: true, force: true });
    expect(left, 'nginx outlived the process that started it').toBe(false);
    expect(await refusesConnections(port)).toBe(true);
  });

  it('refuses a template that does not fit the fleet before starting anything', async () => {
    const template = join(work, 'other-backend.conf.template');
    writeFileSync(template, readFileSync(nginxTemplatePath, 'utf8').replace('{{backend aoai-eastus-ptu2}}', '{{backend aoai-northeu-ptu2}}'));
    await expect(start({ template })).rejects.toThrow(NginxTemplateError);
    await expect(start({ template })).rejects.toThrow(`${template}:44: {{backend aoai-northeu-ptu2}}: no backend named "aoai-northeu-ptu2" in the fleet`);
    expect(ourNginxProcesses()).toEqual([]);
  });

  it('reports what nginx said when it refuses the configuration, and leaves nothing running', async () => {
    const template = join(work, 'bad-directive.conf.template');
    writeFileSync(template, readFileSync(nginxTemplatePath, 'utf8').replace('keepalive 16;', 'keepalive 16;\n        no_such_directive on;'));
    const failure = await start({ template }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(NginxStartError);
    expect((failure as Error).message).toMatch(/did not start with .*bad-directive\.conf\.template on 127\.0\.0\.1:\d+: it exited \(code 1\) before answering/);
    expect((failure as Error).message).toMatch(/\[emerg\] \d+#\d+: unknown directive "no_such_directive" in \S+nginx\.conf:53/);
    expect((failure as Error).message).toContain('line numbers in nginx.conf are those of the template');
    expect(ourNginxProcesses()).toEqual([]);
  });

  it('says the port is taken when asked for a port another process listens on', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(start({ port })).rejects.toThrow(/bind\(\) to 127\.0\.0\.1:\d+ failed \(98: Address already in use\)/);
      expect(ourNginxProcesses()).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

async function until(ready: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
