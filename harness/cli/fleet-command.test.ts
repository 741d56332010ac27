import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { exitOf, refused, spillway } from './cli-test-support.ts';
import type { FleetDescription } from '../../mocks/aoai/fleet.ts';


describe('spillway fleet up', () => {
  it('prints one JSON line once ready, serves, and stops cleanly on Ctrl-C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-up-'));
    const ledger = join(dir, 'ledger.jsonl');
    const child = spillway(['fleet', 'up', '--json', '--latency-scale', '0', '--seed', '1', '--ledger', ledger]);
    const exited = exitOf(child);
    const firstLine = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const description = JSON.parse(firstLine) as FleetDescription;

    expect(description.backends.map((b) => [b.name, b.region, b.kind])).toEqual([
      ['aoai-eastus-ptu1', 'East US', 'ptu'],
      ['aoai-eastus-ptu2', 'East US', 'ptu'],
      ['aoai-eastus-payg', 'East US', 'payg'],
      ['aoai-westus-ptu1', 'West US', 'ptu'],
      ['aoai-westus-ptu2', 'West US', 'ptu'],
      ['aoai-westus-payg', 'West US', 'payg'],
    ]);
    expect(description.backends[0]!.deployments).toEqual([
      { name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 30000 },
      { name: 'text-embedding-3-small', model: 'text-embedding-3-small', capacityTpm: 120000 },
    ]);
    expect(description.ledger).toBe(ledger);

    const payg = description.backends[2]!;
    const response = await fetch(`${payg.endpoint}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'secret-key-value' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-fleet-backend')).toBe('aoai-eastus-payg');
    expect((await fetch(`${description.control}/health`)).status).toBe(200);

    child.kill('SIGINT');
    const { code } = await exited;
    expect(code).toBe(0);
    for (const backend of description.backends) expect(await refused(backend.endpoint)).toBe(true);
    expect(await refused(description.control)).toBe(true);
    const records = readFileSync(ledger, 'utf8').trim().split('\n');
    expect(records).toHaveLength(1);
    expect(records[0]).not.toContain('secret-key-value');
  });

  it('refuses a bad topology with the file and the field, and starts nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-bad-'));
    const file = join(dir, 'topology.json');
    writeFileSync(file, JSON.stringify({ resources: [{ name: 'aoai-x', region: 'East US', kind: 'ptu', port: 0, deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: -5 }] }] }));
    const { code, stdout, stderr } = await exitOf(spillway(['fleet', 'up', '--json', '--topology', file]));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${file}: resources[0].deployments[0].capacityTpm:`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to open the control API beyond loopback without a token, and starts nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-open-'));
    const ledger = join(dir, 'ledger.jsonl');
    const { code, stdout, stderr } = await exitOf(spillway(['fleet', 'up', '--json', '--control-host', '0.0.0.0', '--ledger', ledger], { SPILLWAY_CONTROL_TOKEN: '' }));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('the control API would listen on 0.0.0.0, beyond loopback, without a token: set SPILLWAY_CONTROL_TOKEN');
    expect(existsSync(ledger)).toBe(false);
  });

  it('with a token, listens on --control-host and answers only callers that present it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-token-'));
    const token = 'control-token-never-printed';
    const child = spillway(['fleet', 'up', '--json', '--latency-scale', '0', '--control-host', '0.0.0.0', '--ledger', join(dir, 'ledger.jsonl')], { SPILLWAY_CONTROL_TOKEN: token });
    const exited = exitOf(child);
    const firstLine = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
      // If it exits without a line, fail with what it said rather than time out.
      exited.then(({ code, stderr }) => Promise.reject(new Error(`fleet up exited ${code} before printing: ${stderr}`))),
    ]);
    const description = JSON.parse(firstLine) as FleetDescription;
    // Bound to every address; the test still calls it over loopback only.
    const port = new URL(description.control).port;
    expect(description.control).toBe(`http://0.0.0.0:${port}`);
    const health = `http://127.0.0.1:${port}/health`;
    expect((await fetch(health)).status).toBe(401);
    expect((await fetch(health, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(health, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    child.kill('SIGINT');
    const { code, stdout, stderr } = await exited;
    expect(code).toBe(0);
    expect(stdout + stderr).not.toContain(token);
  });

  it('rejects a bad option value before starting anything', async () => {
    const { code, stdout, stderr } = await exitOf(spillway(['fleet', 'up', '--port-base', 'eighty']));
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('--port-base "eighty" is not a number.');
  });
});
