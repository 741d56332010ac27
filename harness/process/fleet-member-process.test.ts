import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../net/free-port.ts';
import { ManagedProcess } from './managed-process.ts';

/**
 * A fleet member as its own process (`spillway fleet up` with a one-resource topology on a fixed
 * port), killed, paused and restarted through ManagedProcess: the mechanism process steps use.
 * The process dies with the test process (setpriv's parent-death signal) and afterAll closes it.
 */
const spillway = fileURLToPath(new URL('../../bin/spillway.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'fleet-member-process-'));
let member: ManagedProcess;
let endpoint: string;

const chat = (): Promise<Response> =>
  fetch(`${endpoint}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'k', connection: 'close' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
  });

beforeAll(async () => {
  const topology = join(root, 'topology.json');
  writeFileSync(topology, JSON.stringify({ seed: 16, latencyScale: 0, resources: [{ name: 'aoai-eastus-ptu1', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1_000_000 }] }] }));
  const port = await freePort('127.0.0.1');
  member = new ManagedProcess({
    name: 'fleet member aoai-eastus-ptu1',
    command: process.execPath,
    args: [spillway, 'fleet', 'up', '--topology', topology, '--port-base', String(port), '--json', '--ledger', join(root, 'ledger.jsonl')],
    logFile: join(root, 'process.log'),
    readyWhen: (line) => Array.isArray(line.backends),
  });
  const ready = (await member.start()) as { backends: { endpoint: string }[] };
  endpoint = ready.backends[0]!.endpoint;
}, 30_000);
afterAll(async () => {
  await member?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a fleet member as its own process', () => {
  it('serves', async () => {
    expect((await chat()).status).toBe(200);
  });

  it('kill: connections refused, then served again on the same endpoint once started', async () => {
    await member.kill();
    const refused = await chat().then(
      () => null,
      (error: Error & { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(refused).toBe('ECONNREFUSED');
    const ready = (await member.start()) as { backends: { endpoint: string }[] };
    expect(ready.backends[0]!.endpoint).toBe(endpoint);
    expect((await chat()).status).toBe(200);
  });

  it('pause: a request hangs until SIGCONT, then is answered', async () => {
    member.pause();
    let settled = false;
    const pending = chat().then((response) => {
      settled = true;
      return response.status;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(settled).toBe(false);
    member.resume();
    expect(await pending).toBe(200);
  });

  it('restart: a new process at once, on the same endpoint', async () => {
    const pid = member.pid;
    await member.restart();
    expect(member.pid).not.toBe(pid);
    expect((await chat()).status).toBe(200);
  });
});
