import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GoBuildRequest, ToolBuilder } from '../tools/go-builder.ts';
import { registerToolsCommand } from './tools-command.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

let root: string;
let binDir: string;
let env: NodeJS.ProcessEnv;
let builds: GoBuildRequest[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'spillway-tools-cmd-'));
  binDir = join(root, 'bin');
  await mkdir(binDir);
  env = { PATH: binDir, SPILLWAY_CACHE_DIR: join(root, 'cache'), HOME: root };
  builds = [];
});
afterEach(async () => {
  process.exitCode = undefined;
  await rm(root, { recursive: true, force: true });
});

async function fakeTool(file: string, line: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `#!/bin/sh\necho "${line}"\n`, { mode: 0o755 });
  return file;
}

/** Writes a stand-in binary instead of running Go, as a real build would. */
const builder: ToolBuilder = {
  findGo: async () => ({ path: '/opt/go/bin/go', version: '1.26.8' }),
  build: async (request) => {
    builds.push(request);
    request.log('go: downloading stuff');
    const line = request.spec.id === 'k6' ? 'k6 v2.2.0 (go1.26.8, linux/amd64)' : 'toxiproxy-server version 2.12.0';
    await fakeTool(request.destination, line);
  },
};

async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command().exitOverride();
  registerToolsCommand(program, { env, builder, out: (text) => (out += text), err: (text) => (err += text) });
  await program.parseAsync(args, { from: 'user' });
  return { out, err };
}

describe('spillway tools install', () => {
  it('builds every missing tool into the cache and prints name, version, source and path', async () => {
    const { out, err } = await run(['tools', 'install']);
    const cache = join(root, 'cache', 'tools');
    expect(out).toBe(
      `k6 2.2.0 built ${join(cache, 'k6-v2.2.0', 'k6')}\ntoxiproxy 2.12.0 built ${join(cache, 'toxiproxy-v2.12.0', 'toxiproxy-server')}\n`,
    );
    expect(err).toContain('k6: go: downloading stuff');
    expect(err).toContain('k6: K6_BINARY is not set\n');
    expect(err).not.toContain('k6: k6:');
    expect(builds.map((build) => build.spec.id)).toEqual(['k6', 'toxiproxy']);
  });

  it('installs only the named tool and reuses one already on PATH', async () => {
    const onPath = await fakeTool(join(binDir, 'k6'), 'k6 v2.2.0 (go1.26.8, linux/amd64)');
    const { out } = await run(['tools', 'install', 'k6']);
    expect(out).toBe(`k6 2.2.0 path ${onPath}\n`);
    expect(builds).toHaveLength(0);
  });

  it('rejects an unknown tool name', async () => {
    await expect(run(['tools', 'install', 'k7'])).rejects.toThrow(UserFacingError);
    await expect(run(['tools', 'install', 'k7'])).rejects.toThrow('unknown tool "k7"; Spillway manages k6, toxiproxy');
  });
});

describe('spillway tools path', () => {
  it('prints just the path of a present tool', async () => {
    const cached = await fakeTool(join(root, 'cache', 'tools', 'toxiproxy-v2.12.0', 'server'), 'toxiproxy-server version 2.12.0');
    const { out } = await run(['tools', 'path', 'toxiproxy']);
    expect(out).toBe(`${cached}\n`);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('exits 1 with install advice when the tool is missing, and never builds', async () => {
    const { out, err } = await run(['tools', 'path', 'k6']);
    expect(out).toBe('');
    expect(process.exitCode).toBe(1);
    expect(err).toContain('spillway tools install k6');
    expect(builds).toHaveLength(0);
  });
});
