import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { findOnPath, isExecutableFile, resolveUserBinary } from './find-executable.ts';
import { goBuilder, manualBuildCommands } from './go-builder.ts';
import { goTooOldFor } from './go-version.ts';
import type { GoToolchain, ToolBuilder } from './go-builder.ts';
import type { ToolSpec } from './tool-specs.ts';
import { readToolVersion } from './tool-version.ts';

/**
 * Finds the pinned binary of a tool, in the order the project promises: the explicit
 * environment variable, then PATH, then Spillway's per-user cache, then (only when the
 * caller allows it) a Go build into that cache. Every candidate's version is checked; a
 * wrong version on PATH or in the cache is skipped with a note, but a wrong one named by
 * the environment variable is an error, since the user asked for that binary explicitly.
 */

export type ToolSource = 'env' | 'path' | 'cache' | 'built';

export interface ResolvedTool {
  readonly name: string;
  readonly version: string;
  readonly path: string;
  readonly source: ToolSource;
}

export interface ResolveOptions {
  /** Build with Go when nothing usable is found. */
  readonly install: boolean;
  /** Defaults to process.env; tests pass their own PATH, cache dir and variables. */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines: skipped candidates and the build's output. */
  readonly log?: (line: string) => void;
  /** Defaults to the real Go builder. */
  readonly builder?: ToolBuilder;
}

export type ToolInspection =
  | { readonly status: 'found'; readonly tool: ResolvedTool }
  | {
      readonly status: 'missing';
      readonly name: string;
      readonly wantedVersion: string;
      /** Why nothing usable was found, one line per candidate looked at. */
      readonly reasons: readonly string[];
      /** What to run to get it. */
      readonly install: readonly string[];
    };

/** Spillway's per-user cache: `$SPILLWAY_CACHE_DIR`, `$XDG_CACHE_HOME/spillway` or `~/.cache/spillway`. */
export function spillwayCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPILLWAY_CACHE_DIR) return resolve(env.SPILLWAY_CACHE_DIR);
  // The XDG spec says a relative value is invalid and must be ignored.
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'spillway');
  return join(env.HOME || homedir(), '.cache', 'spillway');
}

/** The cache directory of this tool's pinned version. */
export function cachedToolDir(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  return join(spillwayCacheDir(env), 'tools', spec.cacheDirName);
}

/** Where the cache keeps (and a build puts) this tool's pinned binary. */
export function cachedToolPath(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  return join(cachedToolDir(spec, env), spec.binaryName);
}

type Located =
  | { readonly kind: 'found'; readonly tool: ResolvedTool }
  /** The environment variable names a binary that cannot be used: no fallback. */
  | { readonly kind: 'env-rejected'; readonly reason: string }
  | { readonly kind: 'none'; readonly reasons: readonly string[] };

async function checkCandidate(
  spec: ToolSpec,
  path: string,
  source: ToolSource,
  env: NodeJS.ProcessEnv,
): Promise<{ tool: ResolvedTool } | { found: string; detail: string }> {
  const version = await readToolVersion(spec, path, { env });
  if (version.version === spec.version) return { tool: { name: spec.id, version: spec.version, path, source } };
  return { found: version.version ?? 'unknown', detail: version.detail };
}

async function locate(spec: ToolSpec, env: NodeJS.ProcessEnv): Promise<Located> {
  const explicit = env[spec.envVar]?.trim();
  if (explicit) {
    const path = await resolveUserBinary(explicit, env);
    if (!(await isExecutableFile(path))) {
      return {
        kind: 'env-rejected',
        reason: `${spec.envVar} is set to ${explicit}, but ${path} is not an executable file. Point ${spec.envVar} at a ${spec.id} v${spec.version} binary, or unset it to let Spillway find or build one.`,
      };
    }
    const checked = await checkCandidate(spec, path, 'env', env);
    if ('tool' in checked) return { kind: 'found', tool: checked.tool };
    return {
      kind: 'env-rejected',
      reason: `${spec.envVar} points at ${path}, ${checked.found === 'unknown' ? `whose ${spec.id} version could not be determined` : `which is ${spec.id} version ${checked.found}`}, but Spillway needs ${spec.id} ${spec.version} (${checked.detail}). Point ${spec.envVar} at a ${spec.id} v${spec.version} binary, or unset it to let Spillway find or build one.`,
    };
  }

  const reasons: string[] = [`${spec.envVar} is not set`];
  for (const name of spec.pathNames) {
    const path = await findOnPath(name, env);
    if (!path) {
      reasons.push(`no ${name} on PATH`);
      continue;
    }
    const checked = await checkCandidate(spec, path, 'path', env);
    if ('tool' in checked) return { kind: 'found', tool: checked.tool };
    reasons.push(`${name} on PATH (${path}) is version ${checked.found}, not ${spec.version}`);
  }

  const cacheDir = cachedToolDir(spec, env);
  const cacheNames = [spec.binaryName, ...spec.extraCacheNames];
  let anyCached = false;
  for (const name of cacheNames) {
    const path = join(cacheDir, name);
    if (!(await isExecutableFile(path))) continue;
    anyCached = true;
    const checked = await checkCandidate(spec, path, 'cache', env);
    if ('tool' in checked) return { kind: 'found', tool: checked.tool };
    reasons.push(`${path} is version ${checked.found}, not ${spec.version}`);
  }
  if (!anyCached) reasons.push(`no ${cacheNames.join(' or ')} in ${cacheDir}`);
  return { kind: 'none', reasons };
}

/** The commands that get the tool, given whether Go is available. */
function installAdvice(spec: ToolSpec, env: NodeJS.ProcessEnv, go: GoToolchain | undefined): string[] {
  const destination = cachedToolPath(spec, env);
  const getGo = go ? [] : [`install Go ${spec.minimumGo} or later (https://go.dev/dl/) and put it on PATH, then:`];
  return [
    ...getGo,
    `spillway tools install ${spec.id}    # builds it with Go into ${destination}`,
    'or build it by hand:',
    ...manualBuildCommands(spec, destination).map((command) => `  ${command}`),
    `or set ${spec.envVar} to the path of a ${spec.id} v${spec.version} binary.`,
  ];
}

function missingMessage(spec: ToolSpec, reasons: readonly string[], advice: readonly string[]): string {
  return [
    `${spec.id} v${spec.version} is not installed where Spillway looks:`,
    ...reasons.map((reason) => `  - ${reason}`),
    'To install it:',
    ...advice.map((line) => `  ${line}`),
  ].join('\n');
}

/** Where the tool is, without ever building it; for `spillway doctor`. */
export async function inspectTool(
  spec: ToolSpec,
  options: { readonly env?: NodeJS.ProcessEnv; readonly builder?: ToolBuilder } = {},
): Promise<ToolInspection> {
  const env = options.env ?? process.env;
  const located = await locate(spec, env);
  if (located.kind === 'found') return { status: 'found', tool: located.tool };
  const go = await (options.builder ?? goBuilder).findGo(env);
  const reasons = located.kind === 'env-rejected' ? [located.reason] : located.reasons;
  return { status: 'missing', name: spec.id, wantedVersion: spec.version, reasons, install: installAdvice(spec, env, go) };
}

/** The pinned tool's binary, built into the cache first when allowed and needed. */
export async function resolveTool(spec: ToolSpec, options: ResolveOptions): Promise<ResolvedTool> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const builder = options.builder ?? goBuilder;
  const located = await locate(spec, env);
  if (located.kind === 'found') return located.tool;
  if (located.kind === 'env-rejected') throw new UserFacingError(located.reason);

  const go = await builder.findGo(env);
  if (!options.install || !go) {
    const reasons = go || !options.install ? located.reasons : [...located.reasons, 'Go is not on PATH, so it cannot be built'];
    throw new UserFacingError(missingMessage(spec, reasons, installAdvice(spec, env, go)));
  }

  const tooOld = goTooOldFor(spec, go, env);
  if (tooOld === 'refuse') {
    throw new UserFacingError(missingMessage(spec, [...located.reasons, `the Go on PATH (${go.path}) is ${go.version}, older than the ${spec.minimumGo} that ${spec.id} v${spec.version} needs`], installAdvice(spec, env, undefined)));
  }
  if (tooOld === 'toolchain-download') log(`Go ${go.version} is older than ${spec.minimumGo}: Go fetches the ${spec.minimumGo} toolchain itself for this build (GOTOOLCHAIN=local stops it)`);

  for (const reason of located.reasons) log(reason);
  const destination = cachedToolPath(spec, env);
  await builder.build({ spec, destination, go, env, log });
  // Checked here too: the builder is replaceable and the file is what matters.
  const checked = await checkCandidate(spec, destination, 'built', env);
  if ('tool' in checked) return checked.tool;
  throw new UserFacingError(
    `the ${spec.id} built at ${destination} is version ${checked.found}, not ${spec.version} (${checked.detail}); delete it and run \`spillway tools install ${spec.id}\` again.`,
  );
}
