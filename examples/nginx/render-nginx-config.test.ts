import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./render-nginx-config.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'render-nginx-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fleet = {
  backends: ['aoai-eastus-ptu1', 'aoai-eastus-ptu2', 'aoai-eastus-payg'].map((name, i) => ({
    name,
    region: 'East US',
    kind: name.endsWith('payg') ? 'payg' : 'ptu',
    endpoint: `http://127.0.0.1:${18500 + i}`,
    deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1000 }],
  })),
  control: 'http://127.0.0.1:18600',
  ledger: null,
};
const fleetFile = join(dir, 'fleet.json');
writeFileSync(fleetFile, JSON.stringify(fleet));

function render(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', cwd: dir });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('render-nginx-config', () => {
  it('writes nginx.conf for the fleet into the prefix and prints how to start nginx with it', () => {
    const prefix = join(dir, 'run');
    const run = render('--fleet', fleetFile, '--prefix', prefix);
    expect(run.status).toBe(0);
    const config = readFileSync(join(prefix, 'nginx.conf'), 'utf8');
    expect(config).toContain('listen 127.0.0.1:18480;');
    expect(config).toContain('server 127.0.0.1:18502 backup max_fails=0;');
    expect(run.stdout).toContain(`nginx -e stderr -p ${prefix}/ -c ${join(prefix, 'nginx.conf')} -g 'daemon off; master_process off;'`);
  });

  it('refuses, with exit 2 and the flag, a missing --fleet, a listen address beyond loopback and a file that is not a fleet description', () => {
    expect(render()).toMatchObject({ status: 2, stderr: expect.stringContaining('--fleet <file> is required') });
    expect(render('--fleet', fleetFile, '--listen', '0.0.0.0:80')).toMatchObject({ status: 2, stderr: expect.stringContaining('--listen 0.0.0.0:80: give a loopback address and port') });
    const notFleet = join(dir, 'not-fleet.json');
    writeFileSync(notFleet, '{"backends":[]}');
    expect(render('--fleet', notFleet)).toMatchObject({ status: 2, stderr: expect.stringMatching(/not-fleet\.json: not a fleet description:\n\s+\S+not-fleet\.json: backends: /) });
  });
});
