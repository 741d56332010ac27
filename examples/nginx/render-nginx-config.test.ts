import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';

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

/** The `server` lines of the rendered upstream, in order. */
function upstreamServers(config: string): string[] {
  return config
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => /^server \S+:\d+\b/.test(line));
}

describe('render-nginx-config --fleet (attaching to a fleet already up)', () => {
  it('writes nginx.conf for the fleet into the prefix and prints how to start nginx with it and the run to attach', () => {
    const prefix = join(dir, 'run');
    const run = render('--fleet', fleetFile, '--prefix', prefix);
    expect(run.status).toBe(0);
    const config = readFileSync(join(prefix, 'nginx.conf'), 'utf8');
    expect(config).toContain('listen 127.0.0.1:18480;');
    expect(config).toContain('server 127.0.0.1:18502 backup max_fails=0;');
    expect(run.stdout).toMatch(new RegExp(`\\S*nginx (-e stderr )?-p ${prefix}/ -c ${join(prefix, 'nginx.conf')} -g 'daemon off; master_process off;'`));
    expect(run.stdout).toContain(`node bin/spillway.js run spillover --gateway-url http://127.0.0.1:18480 --fleet ${fleetFile} --health-path /healthz --expectations `);
  });
});

describe('render-nginx-config --port-base (the run starts the fleet itself)', () => {
  const topology = loadTopologyFile(defaultTopologyPath);
  const eastUs = topology.resources.map((resource, index) => ({ resource, index })).filter(({ resource }) => resource.region === 'East US');

  it('puts the East US backends of the default topology on 127.0.0.1:N+i, with no fleet running, and prints the run that starts the fleet there', () => {
    // Not 18500: the ports must come from the flag, not from the example's numbers.
    const portBase = 23_170;
    const prefix = join(dir, 'port-base');
    const run = render('--port-base', String(portBase), '--prefix', prefix, '--listen', '23160');
    expect(run).toMatchObject({ status: 0, stderr: '' });
    const config = readFileSync(join(prefix, 'nginx.conf'), 'utf8');
    expect(config).toContain('listen 127.0.0.1:23160;');
    const ptu = eastUs.filter(({ resource }) => resource.kind === 'ptu');
    const payg = eastUs.filter(({ resource }) => resource.kind === 'payg');
    expect([ptu.length, payg.length]).toEqual([2, 1]);
    expect(upstreamServers(config)).toEqual([
      ...ptu.map(({ index }) => `server 127.0.0.1:${portBase + index} max_fails=3 fail_timeout=10s;`),
      ...payg.map(({ index }) => `server 127.0.0.1:${portBase + index} backup max_fails=0;`),
    ]);
    expect(run.stdout).toContain(`node bin/spillway.js run spillover --gateway-url http://127.0.0.1:23160 --port-base ${portBase} --health-path /healthz --expectations `);
  });

  it('renders the same configuration as --fleet with the description of a fleet on those ports', () => {
    // One prefix for both: its path is written into the configuration.
    const prefix = join(dir, 'same');
    expect(render('--port-base', '18500', '--prefix', prefix).status).toBe(0);
    const viaPortBase = readFileSync(join(prefix, 'nginx.conf'), 'utf8');
    expect(render('--fleet', fleetFile, '--prefix', prefix).status).toBe(0);
    expect(readFileSync(join(prefix, 'nginx.conf'), 'utf8')).toBe(viaPortBase);
  });

  it('takes the ports from --topology when given, and passes it on to the run', () => {
    const reordered = join(dir, 'payg-first.json');
    const raw = JSON.parse(readFileSync(defaultTopologyPath, 'utf8')) as { resources: { name: string }[] };
    raw.resources = [raw.resources.find((r) => r.name === 'aoai-eastus-payg')!, ...raw.resources.filter((r) => r.name !== 'aoai-eastus-payg')];
    writeFileSync(reordered, JSON.stringify(raw));
    const run = render('--port-base', '23200', '--topology', reordered, '--prefix', join(dir, 'topology'));
    expect(run.status).toBe(0);
    expect(upstreamServers(readFileSync(join(dir, 'topology', 'nginx.conf'), 'utf8'))).toEqual([
      'server 127.0.0.1:23201 max_fails=3 fail_timeout=10s;',
      'server 127.0.0.1:23202 max_fails=3 fail_timeout=10s;',
      'server 127.0.0.1:23200 backup max_fails=0;',
    ]);
    expect(run.stdout).toContain(`--port-base 23200 --topology ${reordered} --health-path /healthz`);
  });
});

describe('render-nginx-config refuses bad flags with exit 2, naming the flag, and writes nothing', () => {
  const refused = (args: string[], message: string | RegExp): void => {
    const prefix = join(dir, `refused-${Math.random().toString(36).slice(2)}`);
    const run = render(...args, '--prefix', prefix);
    expect(run).toMatchObject({ status: 2, stdout: '', stderr: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) });
    expect(existsSync(prefix), `${args.join(' ')} wrote ${prefix}`).toBe(false);
  };

  it('neither --fleet nor --port-base, or both', () => {
    refused([], '--port-base <n> or --fleet <file> is required');
    refused(['--fleet', fleetFile, '--port-base', '18500'], '--fleet and --port-base: give one');
  });

  it('a --port-base that is not a whole number from 1 to 65000, or has no value', () => {
    refused(['--port-base', 'abc'], '--port-base "abc" is not a number');
    refused(['--port-base', '18500.5'], '--port-base "18500.5" must be a whole number');
    refused(['--port-base', '0'], '--port-base "0" must be at least 1');
    refused(['--port-base', '65001'], '--port-base "65001" must be at most 65000');
    refused(['--port-base'], /Option '--port-base.*argument/);
  });

  it('--topology without --port-base, or a file that is not a topology', () => {
    refused(['--fleet', fleetFile, '--topology', defaultTopologyPath], `--topology ${defaultTopologyPath}: goes with --port-base`);
    refused(['--port-base', '18500', '--topology', join(dir, 'missing.json')], `--topology: ${join(dir, 'missing.json')}: cannot read the topology file (ENOENT)`);
    const notTopology = join(dir, 'not-topology.json');
    writeFileSync(notTopology, '{"resources":[{"name":"x"}]}');
    refused(['--port-base', '18500', '--topology', notTopology], /--topology: invalid topology:\n\s+\S+not-topology\.json: resources\[0\]/);
  });

  it('a listen address beyond loopback, a port out of range, or a port the fleet will take', () => {
    refused(['--fleet', fleetFile, '--listen', '0.0.0.0:80'], '--listen 0.0.0.0:80: give a loopback address and port');
    refused(['--port-base', '18500', '--listen', '70000'], '--listen 70000: port 70000 is not between 1 and 65535');
    refused(['--port-base', '18500', '--listen', '18502'], '--listen 127.0.0.1:18502: aoai-eastus-payg listens on that port (http://127.0.0.1:18502, --port-base 18500 with ');
    refused(['--fleet', fleetFile, '--listen', '127.0.0.1:18500'], '--listen 127.0.0.1:18500: aoai-eastus-ptu1 listens on that port');
  });

  it('a --fleet file that is not a fleet description, and an unknown flag', () => {
    const notFleet = join(dir, 'not-fleet.json');
    writeFileSync(notFleet, '{"backends":[]}');
    refused(['--fleet', notFleet], /not-fleet\.json: not a fleet description:\n\s+\S+not-fleet\.json: backends: /);
    refused(['--port-base', '18500', '--portbase', '1'], "Unknown option '--portbase'");
  });
});
