import { spawn } from 'node:child_process';
import { effectiveModuleVersion, readGoModuleVersion } from './go-build-info.ts';
import type { ToolSpec } from './tool-specs.ts';

/**
 * Asks a binary which version it is. The binary may be anything a user pointed us at, so
 * it runs with a deadline and its whole process group is killed when the deadline passes
 * (Toxiproxy's server, given an argument it does not know, starts serving instead of
 * exiting).
 */

export const defaultVersionTimeoutMs = 15_000;
/** Version output is a line or two; a binary that floods is cut off rather than buffered. */
const maxCapturedBytes = 64 * 1024;

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
  /** Null when the process was killed or never started. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** Why it could not be started (ENOENT, EACCES, ...). */
  readonly spawnError?: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** Runs `file args` with no stdin and returns what it printed, never throwing. */
export function runForOutput(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
  const timeoutMs = options.timeoutMs ?? defaultVersionTimeoutMs;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const finish = (result: CommandOutput): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    // Its own process group, so a shell script's children die with it on timeout.
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const append = (current: string, chunk: Buffer): string =>
      current.length >= maxCapturedBytes ? current : (current + chunk.toString('utf8')).slice(0, maxCapturedBytes);
    child.stdout.on('data', (chunk: Buffer) => (stdout = append(stdout, chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = append(stderr, chunk)));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      // A grandchild that escaped the group could hold the pipes open; do not wait on it.
      setTimeout(() => finish({ stdout, stderr, exitCode: null, timedOut }), 1_000).unref();
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish({ stdout, stderr, exitCode: null, timedOut, spawnError: error.code ?? error.message }),
    );
    child.on('close', (code) => finish({ stdout, stderr, exitCode: code, timedOut }));
  });
}

export interface ToolVersion {
  /** The version without a leading `v`, or undefined when it could not be determined. */
  readonly version: string | undefined;
  /** Where the version came from. */
  readonly via: 'output' | 'build-info' | 'none';
  /** What the binary said, for messages when the version is wrong or unknown. */
  readonly detail: string;
}

function describeOutput(args: readonly string[], output: CommandOutput): string {
  const command = args.join(' ');
  if (output.spawnError) return `\`${command}\` could not run (${output.spawnError})`;
  if (output.timedOut) return `\`${command}\` did not finish in time`;
  const firstLine = `${output.stdout}\n${output.stderr}`.trim().split('\n')[0]?.trim().slice(0, 200) ?? '';
  return firstLine ? `\`${command}\` printed "${firstLine}"` : `\`${command}\` printed nothing (exit ${output.exitCode})`;
}

/**
 * The version of the binary at `binaryPath`: from its own version output when that names a
 * release, otherwise from the Go build info (a `go install` build says `git`).
 */
export async function readToolVersion(spec: ToolSpec, binaryPath: string, options: RunOptions = {}): Promise<ToolVersion> {
  const details: string[] = [];
  for (const args of spec.versionArgs) {
    const output = await runForOutput(binaryPath, args, options);
    const parsed = spec.parseVersionOutput(`${output.stdout}\n${output.stderr}`);
    if (parsed !== undefined && /^\d/.test(parsed)) {
      return { version: parsed, via: 'output', detail: describeOutput(args, output) };
    }
    details.push(describeOutput(args, output));
    // A binary that cannot even start will not do better with other arguments.
    if (output.spawnError) break;
  }
  try {
    const found = await readGoModuleVersion(binaryPath, spec.goModule);
    if (found) {
      return {
        version: effectiveModuleVersion(found),
        via: 'build-info',
        detail: `${details.join('; ')}; Go build info records ${spec.goModule} ${found.version}${found.replacement ? ` replaced by ${found.replacement.path} ${found.replacement.version}` : ''}`,
      };
    }
    details.push(`no Go build info for ${spec.goModule}`);
  } catch (error) {
    details.push(`could not read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return { version: undefined, via: 'none', detail: details.join('; ') };
}
