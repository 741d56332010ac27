import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GoToolchain, ToolBuilder } from '../tools/go-builder.ts';
import { compareVersions, minimumNode, registerDoctorCommand } from './doctor-command.ts';
import type { DoctorReport } from './doctor-command.ts';

let root: string;
let binDir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'spillway-doctor-'));
  binDir = join(root, 'bin');
  await mkdir(binDir);
  env = { PATH: binDir, SPILLWAY_CACHE_DIR: join(root, 'cache'), HOME: root };
});
afterEach(async () => {
  process.exitCode = undefined;
  await rm(root, { recursive: true, force: true });
});

async function fake(name: string, body: string): Promise<string> {
  const file = join(binDir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

const goFound: GoToolchain = { path: '/opt/go/bin/go', version: '1.26.8' };
const builder = (go: GoToolchain | undefined): ToolBuilder => ({
  findGo: async () => go,
  build: async () => {
    throw new Error('doctor must never build');
  },
});

async function runDoctor(args: string[], options: { go?: GoToolchain; nodeVersion?: string } = {}): Promise<string> {
  let output = '';
  const program = new Command().exitOverride();
  registerDoctorCommand(program, {
    env,
    builder: builder(options.go),
    nodeVersion: options.nodeVersion ?? '24.1.0',
    nodePath: '/usr/bin/node',
    write: (text) => (output += text),
  });
  await program.parseAsync(['doctor', ...args], { from: 'user' });
  return output;
}

async function installBoth(): Promise<{ k6: string; toxiproxy: string }> {
  return {
    k6: await fake('k6', 'echo "k6 v2.2.0 (go1.26.8, linux/amd64)"'),
    toxiproxy: await fake('toxiproxy-server', 'echo "toxiproxy-server version 2.12.0"'),
  };
}

describe('spillway doctor', () => {
  it('reports every check with version, source and path as JSON, exit 0 when all required are present', async () => {
    const paths = await installBoth();
    const docker = await fake('docker', 'echo "Docker version 28.2.2, build e6534b4"');
    const nginx = await fake('nginx', 'echo "nginx version: nginx/1.24.0" >&2');
    const report = JSON.parse(await runDoctor(['--json'], { go: goFound })) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(process.exitCode ?? 0).toBe(0);
    expect(report.checks.map((check) => check.name)).toEqual(['k6', 'toxiproxy', 'node', 'go', 'docker', 'nginx']);
    expect(report.checks).toEqual([
      { name: 'k6', required: true, ok: true, version: '2.2.0', source: 'path', path: paths.k6 },
      { name: 'toxiproxy', required: true, ok: true, version: '2.12.0', source: 'path', path: paths.toxiproxy },
      { name: 'node', required: true, ok: true, version: '24.1.0', source: 'running', path: '/usr/bin/node' },
      expect.objectContaining({ name: 'go', required: false, ok: true, version: '1.26.8', path: '/opt/go/bin/go' }),
      expect.objectContaining({ name: 'docker', ok: true, version: '28.2.2', path: docker }),
      expect.objectContaining({ name: 'nginx', ok: true, version: '1.24.0', path: nginx }),
    ]);
  });

  it('exits 1 and says how to install a missing required tool', async () => {
    await fake('k6', 'echo "k6 v2.2.0 (go1.26.8, linux/amd64)"');
    const text = await runDoctor([], { go: goFound });
    expect(process.exitCode).toBe(1);
    expect(text).toMatch(/^MISSING +toxiproxy +- +\(required\)$/m);
    expect(text).toContain('- no toxiproxy-server on PATH');
    expect(text).toContain('to install: spillway tools install toxiproxy');
    expect(text).toMatch(/^ok +k6 +2\.2\.0 +path /m);
    expect(text).toContain('Missing required: toxiproxy.');
  });

  it('exits 1 when k6 has the wrong version', async () => {
    await installBoth();
    await fake('k6', 'echo "k6 v0.49.0 (go1.21, linux/amd64)"');
    const report = JSON.parse(await runDoctor(['--json'], { go: goFound })) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(process.exitCode).toBe(1);
    expect(report.checks[0]).toMatchObject({ name: 'k6', ok: false, reasons: expect.arrayContaining([expect.stringContaining('version 0.49.0, not 2.2.0')]) });
  });

  it('treats missing go, docker and nginx as optional (exit 0)', async () => {
    await installBoth();
    const text = await runDoctor([]);
    expect(process.exitCode ?? 0).toBe(0);
    expect(text).toMatch(/^missing +go +- +\(optional: builds k6 and toxiproxy when they are missing\)$/m);
    expect(text).toContain('to install: install Go 1.25 or later');
    expect(text).toContain('All required tools are present.');
  });

  it('says when the Go found is too old to build the tools, without failing (Go is optional)', async () => {
    await installBoth();
    const report = JSON.parse(await runDoctor(['--json'], { go: { path: '/opt/go/bin/go', version: '1.20.5' } })) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.checks.find((check) => check.name === 'go')).toMatchObject({
      ok: false,
      version: '1.20.5',
      reasons: [
        'Go 1.20.5 is older than the 1.25 that k6 v2.2.0 needs, and cannot fetch a newer toolchain',
        'Go 1.20.5 is older than the 1.23 that toxiproxy v2.12.0 needs, and cannot fetch a newer toolchain',
      ],
      install: ['install Go 1.25 or later (https://go.dev/dl/)'],
    });
  });

  it('notes when an older Go will fetch the toolchain a build needs', async () => {
    await installBoth();
    const report = JSON.parse(await runDoctor(['--json'], { go: { path: '/opt/go/bin/go', version: '1.24.1' } })) as DoctorReport;
    expect(report.checks.find((check) => check.name === 'go')).toMatchObject({ ok: true, note: 'builds k6 and toxiproxy when they are missing; fetches Go 1.25 for k6 when it builds' });
  });

  it('fails on a Node older than the engines floor', async () => {
    await installBoth();
    const report = JSON.parse(await runDoctor(['--json'], { nodeVersion: '22.11.0' })) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.name === 'node')).toMatchObject({ ok: false, reasons: ['Node 22.11.0 is older than 22.12'] });
  });

  it('uses the same Node floor as package.json', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(`>=${minimumNode}`);
  });
});

describe('compareVersions', () => {
  it('compares numerically, part by part', () => {
    expect(compareVersions('22.12.0', '22.12')).toBe(0);
    expect(compareVersions('22.9.1', '22.12')).toBe(-1);
    expect(compareVersions('24.0.0', '22.12')).toBe(1);
  });
});
