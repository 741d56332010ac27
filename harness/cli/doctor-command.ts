import { delimiter } from 'node:path';
import type { Command } from 'commander';
import { findOnPath } from '../tools/find-executable.ts';
import { goBuilder } from '../tools/go-builder.ts';
import type { GoToolchain, ToolBuilder } from '../tools/go-builder.ts';
import { compareGoVersions, goStaysLocal, goTooOldFor } from '../tools/go-version.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { toolSpecs } from '../tools/tool-specs.ts';
import { runForOutput } from '../tools/tool-version.ts';

/**
 * `spillway doctor`: what this machine has of everything Spillway runs, where each piece
 * came from, and how to get what is missing. It never installs anything, so it is safe to
 * run first on a fresh machine or in CI before `spillway tools install`.
 */

/** Same floor as package.json `engines` (type stripping of .ts sources). */
export const minimumNode = '22.12';

export interface DoctorCheck {
  readonly name: string;
  /** A missing required check makes doctor exit 1. */
  readonly required: boolean;
  readonly ok: boolean;
  readonly version?: string;
  /** `env`, `path`, `cache`, `built` for pinned tools; `path` or `running` otherwise. */
  readonly source?: string;
  readonly path?: string;
  /** Why it is not usable. */
  readonly reasons?: readonly string[];
  /** How to get it. */
  readonly install?: readonly string[];
  /** What it is for, when that is not obvious. */
  readonly note?: string;
}

export interface DoctorReport {
  /** True when every required check passed. */
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
}

export interface DoctorDependencies {
  readonly env: NodeJS.ProcessEnv;
  readonly builder: ToolBuilder;
  readonly nodeVersion: string;
  readonly nodePath: string;
  readonly write: (text: string) => void;
}

const defaultDependencies = (): DoctorDependencies => ({
  env: process.env,
  builder: goBuilder,
  nodeVersion: process.versions.node,
  nodePath: process.execPath,
  write: (text) => process.stdout.write(text),
});

/** Compares dotted numeric versions; missing parts count as 0. */
export function compareVersions(left: string, right: string): number {
  const a = left.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const b = right.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

function nodeCheck(version: string, path: string): DoctorCheck {
  const ok = compareVersions(version, minimumNode) >= 0;
  return {
    name: 'node',
    required: true,
    ok,
    version,
    source: 'running',
    path,
    ...(ok
      ? {}
      : {
          reasons: [`Node ${version} is older than ${minimumNode}`],
          install: [`install Node ${minimumNode} or later (https://nodejs.org/en/download)`],
        }),
  };
}

/**
 * An optional program found on PATH (or in `extraDirs`), with its version taken from
 * `args` output by `pattern`. Only the client is asked; nothing here contacts a daemon.
 */
async function optionalProgram(
  env: NodeJS.ProcessEnv,
  name: string,
  args: readonly string[],
  pattern: RegExp,
  install: string,
  note: string | undefined,
  extraDirs: readonly string[] = [],
): Promise<DoctorCheck> {
  const searchEnv = extraDirs.length ? { ...env, PATH: [env.PATH ?? '', ...extraDirs].join(delimiter) } : env;
  const path = await findOnPath(name, searchEnv);
  const described = note ? { note } : {};
  if (!path) return { name, required: false, ok: false, reasons: [`no ${name} on PATH`], install: [install], ...described };
  const output = await runForOutput(path, args, { env, timeoutMs: 10_000 });
  const version = pattern.exec(`${output.stdout}\n${output.stderr}`)?.[1];
  return { name, required: false, ok: true, ...(version ? { version } : {}), source: 'path', path, ...described };
}

/** The Go found, and whether it can build each pinned tool (see goTooOldFor). */
function goCheck(go: GoToolchain, env: NodeJS.ProcessEnv): DoctorCheck {
  const found = { name: 'go', required: false, version: go.version, source: 'path', path: go.path } as const;
  const refused = toolSpecs.filter((spec) => goTooOldFor(spec, go, env) === 'refuse');
  if (refused.length > 0) {
    const newest = refused.map((spec) => spec.minimumGo).sort((a, b) => compareGoVersions(b, a))[0]!;
    return {
      ...found,
      ok: false,
      reasons: refused.map((spec) => `Go ${go.version} is older than the ${spec.minimumGo} that ${spec.id} v${spec.version} needs, and cannot fetch a newer toolchain${goStaysLocal(env) ? ' (GOTOOLCHAIN=local)' : ''}`),
      install: [`install Go ${newest} or later (https://go.dev/dl/)`],
      note: 'builds k6 and toxiproxy when they are missing',
    };
  }
  const fetching = toolSpecs.filter((spec) => goTooOldFor(spec, go, env) === 'toolchain-download');
  const fetchNote = fetching.length > 0 ? `; fetches Go ${fetching.map((spec) => `${spec.minimumGo} for ${spec.id}`).join(', ')} when it builds` : '';
  return { ...found, ok: true, note: `builds k6 and toxiproxy when they are missing${fetchNote}` };
}

export async function collectDoctorReport(dependencies: Omit<DoctorDependencies, 'write'>): Promise<DoctorReport> {
  const { env, builder } = dependencies;
  const checks: DoctorCheck[] = [];
  for (const spec of toolSpecs) {
    const inspection = await inspectTool(spec, { env, builder });
    checks.push(
      inspection.status === 'found'
        ? { name: spec.id, required: true, ok: true, version: inspection.tool.version, source: inspection.tool.source, path: inspection.tool.path }
        : { name: spec.id, required: true, ok: false, reasons: inspection.reasons, install: inspection.install },
    );
  }
  checks.push(nodeCheck(dependencies.nodeVersion, dependencies.nodePath));
  const go = await builder.findGo(env);
  checks.push(
    go
      ? goCheck(go, env)
      : {
          name: 'go',
          required: false,
          ok: false,
          reasons: ['no go on PATH'],
          install: ['install Go 1.25 or later (https://go.dev/dl/)'],
          note: 'builds k6 and toxiproxy when they are missing',
        },
  );
  checks.push(
    await optionalProgram(env, 'docker', ['--version'], /Docker version ([^\s,]+)/, 'install Docker (https://docs.docker.com/engine/install/)', 'client only; the daemon is not contacted'),
  );
  checks.push(
    // nginx usually lives in an sbin directory that is not on an ordinary user's PATH.
    await optionalProgram(env, 'nginx', ['-v'], /nginx\/(\S+)/, 'install nginx with your package manager (e.g. apt-get install nginx)', undefined, [
      '/usr/sbin',
      '/usr/local/sbin',
    ]),
  );
  return { ok: checks.every((check) => check.ok || !check.required), checks };
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  const nameWidth = Math.max(...report.checks.map((check) => check.name.length));
  for (const check of report.checks) {
    const status = check.ok ? 'ok' : check.required ? 'MISSING' : 'missing';
    const where = check.ok ? [check.source, check.path].filter(Boolean).join(' ') : '';
    const kind = check.required ? (check.ok ? '' : '(required)') : `(optional${check.note ? `: ${check.note}` : ''})`;
    lines.push(`${status.padEnd(8)} ${check.name.padEnd(nameWidth)}  ${(check.version ?? '-').padEnd(8)} ${[where, kind].filter(Boolean).join('  ')}`.trimEnd());
    if (check.ok) continue;
    for (const reason of check.reasons ?? []) lines.push(`           - ${reason}`);
    const [first, ...rest] = check.install ?? [];
    if (first === undefined) continue;
    lines.push(`         to install: ${first}`);
    for (const line of rest) lines.push(`           ${line}`);
  }
  const missing = report.checks.filter((check) => check.required && !check.ok).map((check) => check.name);
  lines.push('', missing.length ? `Missing required: ${missing.join(', ')}.` : 'All required tools are present.');
  return `${lines.join('\n')}\n`;
}

export function registerDoctorCommand(program: Command, overrides: Partial<DoctorDependencies> = {}): void {
  program
    .command('doctor')
    .description('check k6, toxiproxy, node and the optional tools; say what is missing and how to install it')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const dependencies = { ...defaultDependencies(), ...overrides };
      const report = await collectDoctorReport(dependencies);
      dependencies.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
      if (!report.ok) process.exitCode = 1;
    });
}
