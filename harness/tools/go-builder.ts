import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { findOnPath } from './find-executable.ts';
import type { ToolSpec } from './tool-specs.ts';
import { readToolVersion, runForOutput } from './tool-version.ts';

/**
 * Builds a pinned tool from source with the local Go toolchain. The result is written to a
 * temporary name in the destination directory and renamed into place only after its
 * version checks out, so concurrent builds (two CI jobs sharing a cache) never expose a
 * half-written or wrong binary: the last rename wins and both are identical.
 */

export interface GoToolchain {
  readonly path: string;
  /** Like `1.26.8`. */
  readonly version: string;
}

export interface GoBuildRequest {
  readonly spec: ToolSpec;
  /** Where the finished binary must end up. */
  readonly destination: string;
  readonly go: GoToolchain;
  readonly env: NodeJS.ProcessEnv;
  /** Receives progress and every line Go prints. */
  readonly log: (line: string) => void;
}

/** What the resolver needs from a builder; tests supply a fake instead of running Go. */
export interface ToolBuilder {
  findGo(env: NodeJS.ProcessEnv): Promise<GoToolchain | undefined>;
  build(request: GoBuildRequest): Promise<void>;
}

const defaultGoProxy = 'https://proxy.golang.org,direct';
const proxyOnly = 'https://proxy.golang.org';
/** Lines of Go output quoted in the error when a step fails. */
const failureTailLines = 25;

/** The `go` on PATH and its version, or undefined when there is none that answers. */
export async function findGo(env: NodeJS.ProcessEnv): Promise<GoToolchain | undefined> {
  const path = await findOnPath('go', env);
  if (!path) return undefined;
  const output = await runForOutput(path, ['version'], { env });
  const version = /\bgo version go(\d+(?:\.\d+)*\S*)/.exec(output.stdout)?.[1];
  return version ? { path, version } : undefined;
}

/** Quotes a value for a POSIX shell, for commands shown to the user. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A one-line shell command writing `content` to `file`, so advice stays one command per line. */
function printfCommand(content: string, file: string): string {
  const format = content.replaceAll('\\', '\\\\').replaceAll('%', '%%').replaceAll('\n', '\\n');
  return `printf ${shellQuote(format)} > ${file}`;
}

function wrapperGoMod(spec: ToolSpec): string {
  if (spec.build.kind !== 'wrapper-module') return '';
  return `module spillway.local/${spec.id}build\n\ngo ${spec.build.goDirective}\n\nrequire ${spec.build.module} ${spec.build.moduleVersion}\n`;
}

function wrapperToolsGo(spec: ToolSpec): string {
  if (spec.build.kind !== 'wrapper-module') return '';
  // The build tag keeps this file out of every build (a main package cannot be imported)
  // while `go mod tidy`, which considers all tags, still records the requirement's sums.
  return `//go:build tools\n\npackage tools\n\nimport _ "${spec.build.package}"\n`;
}

/**
 * The shell commands that do what `build` does, for people installing by hand or without
 * Spillway's help. Kept next to the builder so the two cannot drift apart.
 */
export function manualBuildCommands(spec: ToolSpec, destination: string): string[] {
  const recipe = spec.build;
  const ldflags = recipe.ldflags ? ` -ldflags ${shellQuote(recipe.ldflags)}` : '';
  const directory = dirname(destination);
  if (recipe.kind === 'go-install') {
    return [
      `mkdir -p ${shellQuote(directory)}`,
      `GOBIN=${shellQuote(directory)} go install${ldflags} ${recipe.package}@${recipe.moduleVersion}`,
      ...(recipe.installedName === basename(destination)
        ? []
        : [`mv ${shellQuote(join(directory, recipe.installedName))} ${shellQuote(destination)}`]),
    ];
  }
  const proxy = recipe.proxyOnly ? `GOPROXY=${proxyOnly} ` : '';
  return [
    `mkdir -p ${shellQuote(directory)}`,
    `work=$(mktemp -d) && cd "$work"`,
    printfCommand(wrapperGoMod(spec), 'go.mod'),
    printfCommand(wrapperToolsGo(spec), 'tools.go'),
    `${proxy}go mod tidy -e`,
    `${proxy}go build -mod=mod${ldflags} -o ${shellQuote(destination)} ${recipe.package}`,
  ];
}

/** GOFLAGS with any `-mod=` setting replaced, since the wrapper module needs `-mod=mod`. */
function withModMod(goflags: string | undefined): string {
  const kept = (goflags ?? '').split(/\s+/).filter((flag) => flag && !/^--?mod=/.test(flag));
  return [...kept, '-mod=mod'].join(' ');
}

/** Runs one Go command, streaming its output line by line, and throws when it fails. */
function runGo(go: GoToolchain, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; log: (line: string) => void }): Promise<void> {
  const shown = ['go', ...args].map(shellQuote).join(' ');
  options.log(`$ ${shown}`);
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    const child = spawn(go.path, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (stream: NodeJS.ReadableStream): void => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) emit(line);
      });
      stream.on('end', () => {
        if (pending) emit(pending);
      });
    };
    const emit = (line: string): void => {
      options.log(line);
      tail.push(line);
      if (tail.length > failureTailLines) tail.shift();
    };
    forward(child.stdout);
    forward(child.stderr);
    child.on('error', (error) => reject(new UserFacingError(`could not run ${go.path}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new UserFacingError(
          `\`${shown}\` failed (${signal ? `signal ${signal}` : `exit ${code}`}). Last lines of its output:\n  ${tail.join('\n  ')}`,
        ),
      );
    });
  });
}

/** Produces the binary in `stagingDir` and returns its path there. */
async function buildInto(stagingDir: string, request: GoBuildRequest): Promise<string> {
  const { spec, go, log } = request;
  const recipe = spec.build;
  // Static, as upstream releases k6 and Toxiproxy (CGO_ENABLED=0): the same binary then runs as
  // a process and in a FROM scratch image (harness/containers/local-images.ts), with no libc.
  const env: NodeJS.ProcessEnv = { ...request.env, GOWORK: 'off', CGO_ENABLED: request.env.CGO_ENABLED ?? '0' };
  const ldflags = recipe.ldflags ? ['-ldflags', recipe.ldflags] : [];
  if (recipe.kind === 'go-install') {
    await runGo(go, ['install', ...ldflags, `${recipe.package}@${recipe.moduleVersion}`], {
      cwd: stagingDir,
      env: { ...env, GOBIN: stagingDir },
      log,
    });
    return join(stagingDir, recipe.installedName);
  }
  const effectiveProxy = (await runForOutput(go.path, ['env', 'GOPROXY'], { env })).stdout.trim();
  if (recipe.proxyOnly && (effectiveProxy === '' || effectiveProxy === defaultGoProxy)) {
    log(`using GOPROXY=${proxyOnly}: the default's "direct" fallback fails on ${recipe.module}'s vanity host`);
    env.GOPROXY = proxyOnly;
  }
  env.GOFLAGS = withModMod(env.GOFLAGS);
  const workDir = await mkdtemp(join(tmpdir(), `spillway-${spec.id}build-`));
  try {
    await writeFile(join(workDir, 'go.mod'), wrapperGoMod(spec));
    await writeFile(join(workDir, 'tools.go'), wrapperToolsGo(spec));
    await runGo(go, ['mod', 'tidy', '-e'], { cwd: workDir, env, log });
    const output = join(stagingDir, spec.binaryName);
    await runGo(go, ['build', '-mod=mod', ...ldflags, '-o', output, recipe.package], { cwd: workDir, env, log });
    return output;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Builds `request.spec` and atomically puts the verified binary at `request.destination`. */
export async function buildWithGo(request: GoBuildRequest): Promise<void> {
  const { spec, destination, log } = request;
  const directory = dirname(destination);
  await mkdir(directory, { recursive: true });
  // Staging inside the destination directory keeps the final rename on one filesystem.
  const stagingDir = await mkdtemp(join(directory, `.build-${spec.binaryName}-`));
  try {
    log(`building ${spec.id} v${spec.version} with Go ${request.go.version} (this can take several minutes)`);
    const built = await buildInto(stagingDir, request);
    await chmod(built, 0o755);
    const found = await readToolVersion(spec, built, { env: request.env });
    if (found.version !== spec.version) {
      throw new UserFacingError(
        `the ${spec.id} just built reports version ${found.version ?? 'unknown'}, not ${spec.version} (${found.detail})`,
      );
    }
    await rename(built, destination);
    log(`installed ${spec.id} v${spec.version} at ${destination}`);
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}

export const goBuilder: ToolBuilder = { findGo, build: buildWithGo };
