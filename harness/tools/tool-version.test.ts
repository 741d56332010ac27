import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k6Spec, toxiproxySpec } from './tool-specs.ts';
import { readToolVersion, runForOutput } from './tool-version.ts';

const toxiproxyBinary = '/root/.cache/spillway/tools/toxiproxy-v2.12.0/server';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spillway-toolversion-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string | Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, body, { mode: 0o755 });
  return file;
}

/** The inline build-info header a Go 1.18+ linker writes, for a one-module binary. */
function buildInfo(modulePath: string, version: string): Buffer {
  const modInfo = Buffer.concat([
    Buffer.alloc(16, 0xaa),
    Buffer.from(`path\t${modulePath}/cmd/server\nmod\t${modulePath}\t${version}\th1:x=\n`),
    Buffer.alloc(16, 0xbb),
  ]);
  const head = Buffer.alloc(32);
  Buffer.from('\xff Go buildinf:', 'latin1').copy(head);
  head[14] = 8;
  head[15] = 2;
  return Buffer.concat([head, Buffer.from([8]), Buffer.from('go1.26.8'), Buffer.from([modInfo.length]), modInfo]);
}

describe('runForOutput', () => {
  it('captures stdout, stderr and the exit code', async () => {
    const file = await script('both', '#!/bin/sh\necho out; echo err >&2; exit 3\n');
    const output = await runForOutput(file, []);
    expect(output).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 3, timedOut: false });
  });

  it('kills a binary that keeps running, children included, at the deadline', async () => {
    // The background sleep keeps stdout open; only killing the group ends it promptly.
    const file = await script('hangs', '#!/bin/sh\necho starting\nsleep 30 &\nwait\n');
    const started = Date.now();
    const output = await runForOutput(file, ['version'], { timeoutMs: 300 });
    expect(output.timedOut).toBe(true);
    expect(output.stdout).toBe('starting\n');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports a missing binary instead of throwing', async () => {
    const output = await runForOutput(join(dir, 'absent'), ['--version']);
    expect(output.spawnError).toBe('ENOENT');
  });
});

describe('readToolVersion', () => {
  it('parses k6 version output', async () => {
    const file = await script('k6-good', '#!/bin/sh\n[ "$1" = version ] && echo "k6 v2.2.0 (commit/abc123, go1.26.8, linux/amd64)"\n');
    expect(await readToolVersion(k6Spec, file)).toMatchObject({ version: '2.2.0', via: 'output' });
  });

  it('tries the next arguments when the first give no version', async () => {
    const file = await script('k6-flag', '#!/bin/sh\n[ "$1" = --version ] && echo "k6 v1.4.0 (go1.24, linux/amd64)"\nexit 0\n');
    expect(await readToolVersion(k6Spec, file)).toMatchObject({ version: '1.4.0', via: 'output' });
  });

  it('falls back to the build info when toxiproxy says `git`', async () => {
    // sh stops at `exit`, so the bytes after it only matter to the build-info reader.
    const body = Buffer.concat([
      Buffer.from('#!/bin/sh\necho "toxiproxy-server version git"\nexit 0\n'),
      buildInfo('github.com/Shopify/toxiproxy/v2', 'v2.11.0'),
    ]);
    const file = await script('toxi-git', body);
    const found = await readToolVersion(toxiproxySpec, file);
    expect(found).toMatchObject({ version: '2.11.0', via: 'build-info' });
    expect(found.detail).toContain('version git');
  });

  it('prefers a release version in the output over the build info', async () => {
    const body = Buffer.concat([
      Buffer.from('#!/bin/sh\necho "toxiproxy-server version 2.12.0"\nexit 0\n'),
      buildInfo('github.com/Shopify/toxiproxy/v2', 'v2.9.0'),
    ]);
    expect(await readToolVersion(toxiproxySpec, await script('toxi-release', body))).toMatchObject({
      version: '2.12.0',
      via: 'output',
    });
  });

  it('reports an unknown version with what the binary said', async () => {
    const file = await script('mystery', '#!/bin/sh\necho "usage: mystery [flags]"\n');
    const found = await readToolVersion(toxiproxySpec, file);
    expect(found.version).toBeUndefined();
    expect(found.detail).toContain('usage: mystery');
  });

  it.skipIf(!existsSync(toxiproxyBinary))('reads 2.12.0 from the real go-installed toxiproxy server', async () => {
    expect(await readToolVersion(toxiproxySpec, toxiproxyBinary)).toMatchObject({ version: '2.12.0', via: 'build-info' });
  });
});
