import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { vi } from 'vitest';
import { runCli } from './cli.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Helpers for tests that run the real `spillway` CLI as a child process. */
const bin = fileURLToPath(new URL('../../bin/spillway.js', import.meta.url));

/** `env` is added to this process's environment for the child. */
export function spillway(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [bin, ...args], { stdio: 'pipe', env: { ...process.env, ...env } });
}

export function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** True when nothing listens at the URL's port any more. */
export function refused(endpoint: string): Promise<boolean> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** Pids of live processes whose command line contains `text` (Linux /proc), this process excluded. */
export function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(text)) found.push(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * Runs the CLI in this process, through the same runCli bin/spillway.js runs, capturing
 * everything written, what commands write to the process streams themselves included (a child
 * process per case would cost a second or more of CPU on a shared machine).
 */
export async function runCliInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const capture = (into: 'out' | 'err') => (chunk: string | Uint8Array): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    if (into === 'out') stdout += text;
    else stderr += text;
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture('out') as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture('err') as typeof process.stderr.write);
  try {
    const code = await runCli(args, { writeOut: (text) => void (stdout += text), writeErr: (text) => void (stderr += text) });
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}
