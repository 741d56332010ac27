import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { buildWithGo, findGo, manualBuildCommands } from './go-builder.ts';
import type { GoToolchain } from './go-builder.ts';
import { k6Spec, toxiproxySpec } from './tool-specs.ts';
import { readToolVersion } from './tool-version.ts';

/**
 * The builder runs against a fake `go` that records how it was called and writes a stand-in
 * binary, so the build steps, environment and atomic install are tested without minutes of
 * real compilation.
 */
const fakeGoScript = `#!/bin/sh
echo "CALL|$PWD|$*|GOPROXY=$GOPROXY|GOFLAGS=$GOFLAGS|GOWORK=$GOWORK|GOBIN=$GOBIN" >> "$FAKE_GO_LOG"
if [ -n "$FAKE_GO_FAIL" ] && [ "$1" != env ] && [ "$1" != version ]; then
  echo "go: downloading something" >&2
  echo "go: the last words of a failed build" >&2
  exit 1
fi
case "$1" in
  version) echo "go version go1.26.8 linux/amd64" ;;
  env) echo "\${GOPROXY:-https://proxy.golang.org,direct}" ;;
  mod) echo "GOMOD|$(cat go.mod | tr '\\n' '~')" >> "$FAKE_GO_LOG"; echo "TOOLSGO|$(cat tools.go | tr '\\n' '~')" >> "$FAKE_GO_LOG"; echo "go: downloading go.k6.io/k6/v2 v2.2.0" >&2 ;;
  build)
    while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done
    printf '#!/bin/sh\\necho "k6 v%s (go1.26.8, linux/amd64)"\\n' "\${FAKE_K6_VERSION:-2.2.0}" > "$out"
    chmod +x "$out"
    sleep 0.2 ;;
  install)
    printf '#!/bin/sh\\necho "toxiproxy-server version 2.12.0"\\n' > "$GOBIN/server"
    chmod +x "$GOBIN/server"
    sleep 0.2 ;;
esac
`;

let root: string;
let goLog: string;
let go: GoToolchain;
let baseEnv: NodeJS.ProcessEnv;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'spillway-gobuilder-'));
  await mkdir(join(root, 'gobin'));
  const goPath = join(root, 'gobin', 'go');
  await writeFile(goPath, fakeGoScript, { mode: 0o755 });
  goLog = join(root, 'go.log');
  go = { path: goPath, version: '1.26.8' };
  baseEnv = { PATH: `${join(root, 'gobin')}:/usr/bin:/bin`, FAKE_GO_LOG: goLog, HOME: root };
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function calls(): Promise<string[]> {
  return (await readFile(goLog, 'utf8')).trim().split('\n');
}

describe('findGo', () => {
  it('finds go on PATH and parses its version', async () => {
    expect(await findGo(baseEnv)).toEqual(go);
    expect(await findGo({ PATH: join(root, 'nothing-here') })).toBeUndefined();
  });
});

describe('buildWithGo', () => {
  it('builds k6 through a wrapper module with the proxy alone and -mod=mod', async () => {
    const destination = join(root, 'cache', 'tools', 'k6-v2.2.0', 'k6');
    const lines: string[] = [];
    await buildWithGo({ spec: k6Spec, destination, go, env: { ...baseEnv, GOFLAGS: '-mod=vendor -trimpath' }, log: (line) => lines.push(line) });

    expect((await readToolVersion(k6Spec, destination)).version).toBe('2.2.0');
    const recorded = await calls();
    const tidy = recorded.find((line) => line.includes('|mod tidy -e|'));
    const build = recorded.find((line) => line.includes('|build -mod=mod -o '));
    expect(tidy).toContain('GOPROXY=https://proxy.golang.org|');
    expect(tidy).toContain('GOFLAGS=-trimpath -mod=mod|');
    expect(tidy).toContain('GOWORK=off');
    expect(build).toMatch(/ go\.k6\.io\/k6\/v2\|/);
    expect(recorded).toContain('GOMOD|module spillway.local/k6build~~go 1.25~~require go.k6.io/k6/v2 v2.2.0~');
    // Output is streamed line by line to the log.
    expect(lines).toContain('go: downloading go.k6.io/k6/v2 v2.2.0');
    // The throwaway module and the staging directory are gone.
    const workDir = tidy?.split('|')[1] ?? '';
    expect(workDir).not.toBe('');
    expect(existsSync(workDir)).toBe(false);
    expect(await readdir(dirname(destination))).toEqual(['k6']);
  });

  it('keeps a proxy the user chose', async () => {
    const destination = join(root, 'k6');
    await buildWithGo({ spec: k6Spec, destination, go, env: { ...baseEnv, GOPROXY: 'https://goproxy.example' }, log: () => {} });
    expect((await calls()).find((line) => line.includes('|mod tidy'))).toContain('GOPROXY=https://goproxy.example|');
  });

  it('go-installs toxiproxy with the version ldflags and renames `server` into place', async () => {
    const destination = join(root, 'cache', 'toxiproxy-v2.12.0', 'toxiproxy-server');
    await buildWithGo({ spec: toxiproxySpec, destination, go, env: baseEnv, log: () => {} });
    const install = (await calls()).find((line) => line.includes('|install '));
    expect(install).toContain(
      '|install -ldflags -X github.com/Shopify/toxiproxy/v2.Version=2.12.0 github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0|',
    );
    // GOBIN is a staging directory beside the destination, so the rename is atomic.
    expect(install).toMatch(new RegExp(`GOBIN=${dirname(destination)}/\\.build-toxiproxy-server-`));
    expect(await readdir(dirname(destination))).toEqual(['toxiproxy-server']);
    expect((await readToolVersion(toxiproxySpec, destination)).version).toBe('2.12.0');
  });

  it('lets concurrent builds of the same tool both finish with one good binary', async () => {
    const destination = join(root, 'cache', 'k6');
    await Promise.all([1, 2, 3].map(() => buildWithGo({ spec: k6Spec, destination, go, env: baseEnv, log: () => {} })));
    expect(await readdir(dirname(destination))).toEqual(['k6']);
    expect((await readToolVersion(k6Spec, destination)).version).toBe('2.2.0');
  });

  it('reports a failed Go step with its last output and leaves nothing behind', async () => {
    const destination = join(root, 'cache', 'k6');
    const error = await buildWithGo({ spec: k6Spec, destination, go, env: { ...baseEnv, FAKE_GO_FAIL: '1' }, log: () => {} }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UserFacingError);
    expect((error as Error).message).toContain('`go mod tidy -e` failed (exit 1)');
    expect((error as Error).message).toContain('the last words of a failed build');
    expect(await readdir(dirname(destination))).toEqual([]);
  });

  it('refuses to install a binary that reports the wrong version', async () => {
    const destination = join(root, 'cache', 'k6');
    const error = await buildWithGo({ spec: k6Spec, destination, go, env: { ...baseEnv, FAKE_K6_VERSION: '2.1.9' }, log: () => {} }).catch(
      (caught: unknown) => caught,
    );
    expect((error as Error).message).toContain('reports version 2.1.9, not 2.2.0');
    expect(existsSync(destination)).toBe(false);
  });
});

describe('manualBuildCommands', () => {
  it('runs in a POSIX shell and does what the builder does', async () => {
    const destination = join(root, 'by hand', 'k6');
    const commands = manualBuildCommands(k6Spec, destination);
    // One command per line, so the advice reads (and copies) cleanly.
    expect(commands.filter((command) => command.includes('\n'))).toEqual([]);
    const script = commands.join(' && ');
    await promisify(execFile)('/bin/sh', ['-c', script], { env: baseEnv });
    const recorded = await calls();
    expect(recorded).toContain('GOMOD|module spillway.local/k6build~~go 1.25~~require go.k6.io/k6/v2 v2.2.0~');
    expect(recorded).toContain('TOOLSGO|//go:build tools~~package tools~~import _ "go.k6.io/k6/v2"~');
    expect(recorded.find((line) => line.includes('|build '))).toContain(`|build -mod=mod -o ${destination} go.k6.io/k6/v2|GOPROXY=https://proxy.golang.org|`);
    expect((await readToolVersion(k6Spec, destination)).version).toBe('2.2.0');
  });

  it('gives toxiproxy a go install into the cache directory and a rename', () => {
    expect(manualBuildCommands(toxiproxySpec, '/c/toxiproxy-v2.12.0/toxiproxy-server')).toEqual([
      'mkdir -p /c/toxiproxy-v2.12.0',
      "GOBIN=/c/toxiproxy-v2.12.0 go install -ldflags '-X github.com/Shopify/toxiproxy/v2.Version=2.12.0' github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0",
      'mv /c/toxiproxy-v2.12.0/server /c/toxiproxy-v2.12.0/toxiproxy-server',
    ]);
  });
});
