import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  effectiveModuleVersion,
  findModuleVersion,
  parseBuildInfoHeader,
  readGoBuildInfo,
  readGoModuleVersion,
} from './go-build-info.ts';

const toxiproxyBinary = '/root/.cache/spillway/tools/toxiproxy-v2.12.0/server';
const k6Binary = '/root/.cache/spillway/tools/k6-v2.2.0/k6';

function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A Go 1.18+ build-info header exactly as the linker lays it out. */
function header(goVersion: string, modInfo: string, flags = 0x2): Buffer {
  const head = Buffer.alloc(32);
  Buffer.from('\xff Go buildinf:', 'latin1').copy(head);
  head[14] = 8;
  head[15] = flags;
  const wrapped = Buffer.concat([
    Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex'),
    Buffer.from(modInfo, 'utf8'),
    Buffer.from('f932433186182072008242104116d8f2', 'hex'),
  ]);
  return Buffer.concat([head, uvarint(goVersion.length), Buffer.from(goVersion), uvarint(wrapped.length), wrapped]);
}

const toxiModInfo =
  'path\tgithub.com/Shopify/toxiproxy/v2/cmd/server\n' +
  'mod\tgithub.com/Shopify/toxiproxy/v2\tv2.12.0\th1:abc=\n' +
  'dep\tgithub.com/gorilla/mux\tv1.8.1\th1:def=\n';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spillway-buildinfo-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('findModuleVersion', () => {
  it('finds the main module and dependencies, ignoring other paths', () => {
    expect(findModuleVersion(toxiModInfo, 'github.com/Shopify/toxiproxy/v2')).toEqual({ kind: 'mod', version: 'v2.12.0' });
    expect(findModuleVersion(toxiModInfo, 'github.com/gorilla/mux')).toEqual({ kind: 'dep', version: 'v1.8.1' });
    // A prefix of a real path is not a match.
    expect(findModuleVersion(toxiModInfo, 'github.com/Shopify/toxiproxy')).toBeUndefined();
  });

  it('reports the replacement when a replace directive swapped the source', () => {
    const info = 'dep\tgo.k6.io/k6/v2\tv2.2.0\th1:x=\n=>\t../k6\t\t\n';
    const found = findModuleVersion(info, 'go.k6.io/k6/v2');
    expect(found?.replacement).toEqual({ path: '../k6', version: '(devel)' });
    expect(effectiveModuleVersion(found!)).toBe('(devel)');
  });
});

describe('parseBuildInfoHeader', () => {
  it('decodes the Go version and strips the sentinels from the module info', () => {
    const parsed = parseBuildInfoHeader(header('go1.26.8', toxiModInfo));
    expect(parsed).toEqual({ goVersion: 'go1.26.8', modInfo: toxiModInfo });
  });

  it('rejects the pre-1.18 pointer layout and truncated headers', () => {
    expect(parseBuildInfoHeader(header('go1.17', toxiModInfo, 0x0))).toBeUndefined();
    const full = header('go1.26.8', toxiModInfo);
    expect(parseBuildInfoHeader(full.subarray(0, full.length - 10))).toBeUndefined();
  });
});

describe('readGoModuleVersion on synthetic files', () => {
  it('reads a header that follows a decoy magic and straddles a read-chunk boundary', async () => {
    const decoy = Buffer.from('\xff Go buildinf:\x08\x02 not a header at all', 'latin1');
    const real = header('go1.26.8', toxiModInfo);
    // Put the real magic across the 1 MiB chunk boundary of the scanner.
    const before = Buffer.alloc((1 << 20) - 5 - decoy.length, 0x90);
    const file = join(dir, 'straddle');
    await writeFile(file, Buffer.concat([decoy, before, real, Buffer.alloc(1000)]));
    expect((await readGoBuildInfo(file))?.goVersion).toBe('go1.26.8');
    const found = await readGoModuleVersion(file, 'github.com/Shopify/toxiproxy/v2');
    expect(found).toEqual({ kind: 'mod', version: 'v2.12.0' });
    expect(effectiveModuleVersion(found!)).toBe('2.12.0');
  });

  it('falls back to scanning for the module line when there is no inline header', async () => {
    const file = join(dir, 'old-layout');
    await writeFile(
      file,
      Buffer.concat([header('go1.17', '', 0x0), Buffer.alloc(300, 0), Buffer.from(`\u0000junk${toxiModInfo}\u0000`), Buffer.alloc(50)]),
    );
    expect(await readGoBuildInfo(file)).toBeUndefined();
    expect(await readGoModuleVersion(file, 'github.com/gorilla/mux')).toEqual({ kind: 'dep', version: 'v1.8.1' });
  });

  it('returns undefined for a file that is not a Go binary', async () => {
    const file = join(dir, 'script');
    await writeFile(file, '#!/bin/sh\necho "k6 v2.2.0"\n');
    expect(await readGoModuleVersion(file, 'go.k6.io/k6/v2')).toBeUndefined();
  });
});

describe('readGoModuleVersion on real binaries', () => {
  it.skipIf(!existsSync(toxiproxyBinary))('reads v2.12.0 from the go-installed toxiproxy server', async () => {
    const info = await readGoBuildInfo(toxiproxyBinary);
    expect(info?.goVersion).toMatch(/^go1\.\d+/);
    expect(await readGoModuleVersion(toxiproxyBinary, 'github.com/Shopify/toxiproxy/v2')).toMatchObject({
      kind: 'mod',
      version: 'v2.12.0',
    });
    expect(await readGoModuleVersion(toxiproxyBinary, 'go.k6.io/k6/v2')).toBeUndefined();
  });

  it.skipIf(!existsSync(k6Binary))('reads v2.2.0 from the k6 built through the wrapper module', async () => {
    const found = await readGoModuleVersion(k6Binary, 'go.k6.io/k6/v2');
    expect(found && effectiveModuleVersion(found)).toBe('2.2.0');
  });
});
