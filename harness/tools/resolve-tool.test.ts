import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import type { GoBuildRequest, GoToolchain, ToolBuilder } from './go-builder.ts';
import { cachedToolPath, inspectTool, resolveTool, spillwayCacheDir } from './resolve-tool.ts';
import { k6Spec, toxiproxySpec } from './tool-specs.ts';

let root: string;
let binDir: string;
let cacheDir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'spillway-resolve-'));
  binDir = join(root, 'bin');
  cacheDir = join(root, 'cache');
  await mkdir(binDir);
  env = { PATH: binDir, SPILLWAY_CACHE_DIR: cacheDir, HOME: root };
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A stand-in binary that answers `version`/`--version` like the real tool would. */
async function fakeTool(file: string, versionLine: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `#!/bin/sh\necho "${versionLine}"\n`, { mode: 0o755 });
  return file;
}

const k6Line = (version: string): string => `k6 v${version} (commit/abc, go1.26.8, linux/amd64)`;
const toxiLine = (version: string): string => `toxiproxy-server version ${version}`;

/** Records builds instead of running Go; writes a binary reporting `builtVersion` (default: the pinned one). */
function fakeBuilder(go: GoToolchain | undefined, builtVersion?: string): ToolBuilder & { builds: GoBuildRequest[] } {
  const builds: GoBuildRequest[] = [];
  return {
    builds,
    findGo: async () => go,
    build: async (request) => {
      builds.push(request);
      const version = builtVersion ?? request.spec.version;
      await fakeTool(request.destination, request.spec.id === 'k6' ? k6Line(version) : toxiLine(version));
    },
  };
}

const go: GoToolchain = { path: '/usr/local/go/bin/go', version: '1.26.8' };

async function rejection(promise: Promise<unknown>): Promise<UserFacingError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UserFacingError);
  return error as UserFacingError;
}

describe('spillwayCacheDir', () => {
  it('prefers SPILLWAY_CACHE_DIR, then an absolute XDG_CACHE_HOME, then ~/.cache', () => {
    expect(spillwayCacheDir({ SPILLWAY_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(spillwayCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/spillway');
    expect(spillwayCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).toBe('/h/.cache/spillway');
    expect(cachedToolPath(toxiproxySpec, { SPILLWAY_CACHE_DIR: '/c' })).toBe('/c/tools/toxiproxy-v2.12.0/toxiproxy-server');
  });
});

describe('resolveTool: the environment variable', () => {
  it('uses the named binary when its version matches', async () => {
    const file = await fakeTool(join(root, 'elsewhere', 'my-k6'), k6Line('2.2.0'));
    const tool = await resolveTool(k6Spec, { install: false, env: { ...env, K6_BINARY: file } });
    expect(tool).toEqual({ name: 'k6', version: '2.2.0', path: file, source: 'env' });
  });

  it('looks a bare name up on PATH', async () => {
    const file = await fakeTool(join(binDir, 'k6-pinned'), k6Line('2.2.0'));
    const tool = await resolveTool(k6Spec, { install: false, env: { ...env, K6_BINARY: 'k6-pinned' } });
    expect(tool.path).toBe(file);
  });

  it('rejects a wrong version, naming the variable, path and both versions, without falling back', async () => {
    const file = await fakeTool(join(root, 'old-k6'), k6Line('1.4.0'));
    await fakeTool(join(binDir, 'k6'), k6Line('2.2.0'));
    const builder = fakeBuilder(go);
    const error = await rejection(resolveTool(k6Spec, { install: true, env: { ...env, K6_BINARY: file }, builder }));
    expect(error.message).toContain('K6_BINARY');
    expect(error.message).toContain(file);
    expect(error.message).toContain('version 1.4.0');
    expect(error.message).toContain('2.2.0');
    expect(builder.builds).toHaveLength(0);
  });

  it('says when the named binary has no version it can determine', async () => {
    const file = await fakeTool(join(root, 'not-k6'), 'hello');
    const error = await rejection(resolveTool(k6Spec, { install: false, env: { ...env, K6_BINARY: file } }));
    expect(error.message).toContain(`K6_BINARY points at ${file}, whose k6 version could not be determined`);
    expect(error.message).toContain('printed "hello"');
  });

  it('rejects a path that does not exist', async () => {
    const error = await rejection(
      resolveTool(toxiproxySpec, { install: false, env: { ...env, TOXIPROXY_BINARY: join(root, 'nope') } }),
    );
    expect(error.message).toMatch(/TOXIPROXY_BINARY is set to .*nope.*not an executable file/);
  });
});

describe('resolveTool: PATH and cache', () => {
  it('takes a matching binary from PATH', async () => {
    const file = await fakeTool(join(binDir, 'k6'), k6Line('2.2.0'));
    expect(await resolveTool(k6Spec, { install: false, env })).toEqual({ name: 'k6', version: '2.2.0', path: file, source: 'path' });
  });

  it('skips a wrong version on PATH and takes the cached one', async () => {
    await fakeTool(join(binDir, 'k6'), k6Line('0.49.0'));
    const cached = await fakeTool(cachedToolPath(k6Spec, env), k6Line('2.2.0'));
    expect(await resolveTool(k6Spec, { install: false, env })).toMatchObject({ path: cached, source: 'cache' });
  });

  it('ignores a generic `server` on PATH but accepts one in the toxiproxy cache directory', async () => {
    await fakeTool(join(binDir, 'server'), toxiLine('2.12.0'));
    const error = await rejection(resolveTool(toxiproxySpec, { install: false, env }));
    expect(error.message).toContain('no toxiproxy-server on PATH');

    const unrenamed = await fakeTool(join(cacheDir, 'tools', 'toxiproxy-v2.12.0', 'server'), toxiLine('2.12.0'));
    expect(await resolveTool(toxiproxySpec, { install: false, env })).toMatchObject({ path: unrenamed, source: 'cache' });
  });

  it('finds toxiproxy-server on PATH when its version matches', async () => {
    const file = await fakeTool(join(binDir, 'toxiproxy-server'), toxiLine('2.12.0'));
    expect(await resolveTool(toxiproxySpec, { install: false, env })).toMatchObject({ path: file, source: 'path' });
  });
});

describe('resolveTool: missing tools', () => {
  it('without install, explains what was looked at and gives the install commands', async () => {
    await fakeTool(join(binDir, 'k6'), k6Line('0.49.0'));
    const builder = fakeBuilder(go);
    const error = await rejection(resolveTool(k6Spec, { install: false, env, builder }));
    expect(error.message).toContain(`k6 on PATH (${join(binDir, 'k6')}) is version 0.49.0, not 2.2.0`);
    expect(error.message).toContain('spillway tools install k6');
    expect(error.message).toContain('go build -mod=mod -o');
    expect(error.message).toContain('require go.k6.io/k6/v2 v2.2.0');
    expect(error.message).toContain('set K6_BINARY');
    expect(builder.builds).toHaveLength(0);
  });

  it('with install and Go, builds into the cache and returns the built binary', async () => {
    const builder = fakeBuilder(go);
    const lines: string[] = [];
    const tool = await resolveTool(toxiproxySpec, { install: true, env, builder, log: (line) => lines.push(line) });
    expect(tool).toEqual({ name: 'toxiproxy', version: '2.12.0', path: cachedToolPath(toxiproxySpec, env), source: 'built' });
    expect(builder.builds).toHaveLength(1);
    expect(builder.builds[0]).toMatchObject({ destination: cachedToolPath(toxiproxySpec, env), go });
    expect(lines.join('\n')).toContain('no toxiproxy-server on PATH');
    // The second time it is simply in the cache.
    expect(await resolveTool(toxiproxySpec, { install: true, env, builder })).toMatchObject({ source: 'cache' });
    expect(builder.builds).toHaveLength(1);
  });

  it('with install but no Go, says to install Go first', async () => {
    const builder = fakeBuilder(undefined);
    const error = await rejection(resolveTool(k6Spec, { install: true, env, builder }));
    expect(error.message).toContain('install Go 1.25 or later');
    expect(error.message).toContain('Go is not on PATH');
    expect(builder.builds).toHaveLength(0);
  });

  it('refuses to build with a Go too old to build the tool or to fetch a newer toolchain itself', async () => {
    for (const [version, extraEnv] of [
      ['1.20.5', {}],
      ['1.24.2', { GOTOOLCHAIN: 'local' }],
    ] as const) {
      const builder = fakeBuilder({ path: '/opt/go/bin/go', version });
      const error = await rejection(resolveTool(k6Spec, { install: true, env: { ...env, ...extraEnv }, builder }));
      expect(error.message, version).toContain(`the Go on PATH (/opt/go/bin/go) is ${version}, older than the 1.25 that k6 v2.2.0 needs`);
      expect(error.message).toContain('install Go 1.25 or later');
      expect(builder.builds).toHaveLength(0);
    }
  });

  it('builds with an older Go that fetches the toolchain it needs, and says so', async () => {
    const builder = fakeBuilder({ path: '/opt/go/bin/go', version: '1.22.3' });
    const lines: string[] = [];
    expect(await resolveTool(k6Spec, { install: true, env, builder, log: (line) => lines.push(line) })).toMatchObject({ source: 'built', version: '2.2.0' });
    expect(lines).toContain('Go 1.22.3 is older than 1.25: Go fetches the 1.25 toolchain itself for this build (GOTOOLCHAIN=local stops it)');
    // A Go at or past the minimum builds without a word about versions.
    const current = fakeBuilder({ path: '/opt/go/bin/go', version: '1.25' });
    const quiet: string[] = [];
    await resolveTool(toxiproxySpec, { install: true, env, builder: current, log: (line) => quiet.push(line) });
    expect(quiet.join('\n')).not.toContain('older than');
  });

  it('rejects a build that produced the wrong version', async () => {
    const error = await rejection(resolveTool(k6Spec, { install: true, env, builder: fakeBuilder(go, '2.1.0') }));
    expect(error.message).toContain('is version 2.1.0, not 2.2.0');
  });
});

describe('inspectTool', () => {
  it('reports a found tool with its source', async () => {
    const file = await fakeTool(join(binDir, 'k6'), k6Line('2.2.0'));
    expect(await inspectTool(k6Spec, { env, builder: fakeBuilder(go) })).toEqual({
      status: 'found',
      tool: { name: 'k6', version: '2.2.0', path: file, source: 'path' },
    });
  });

  it('never builds, and reports why and how to install', async () => {
    const builder = fakeBuilder(go);
    const inspection = await inspectTool(toxiproxySpec, { env, builder });
    expect(builder.builds).toHaveLength(0);
    expect(inspection.status).toBe('missing');
    if (inspection.status !== 'missing') return;
    expect(inspection.reasons).toContain('TOXIPROXY_BINARY is not set');
    expect(inspection.install.join('\n')).toContain(
      'go install -ldflags \'-X github.com/Shopify/toxiproxy/v2.Version=2.12.0\' github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0',
    );
  });

  it('reports a wrong-version environment variable as the reason', async () => {
    const file = await fakeTool(join(root, 'k6'), k6Line('2.0.0'));
    const inspection = await inspectTool(k6Spec, { env: { ...env, K6_BINARY: file }, builder: fakeBuilder(go) });
    expect(inspection).toMatchObject({ status: 'missing', reasons: [expect.stringContaining('K6_BINARY points at')] });
  });
});
