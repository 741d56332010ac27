import { closeSync, mkdtempSync, openSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * Checks, before anything starts, that the places a command writes to (a run's results, the
 * fleet's ledger, the gateway's logs) can be written, without creating them: a mistake in a
 * path is then a clear error naming the flag and the path, with nothing started and no
 * half-made folder left behind, instead of a stack trace (ENOTDIR) or a hang (a folder under
 * /proc) halfway through starting.
 *
 * Permission bits alone cannot answer the question (root passes every access() check, and
 * /proc or a read-only mount refuses regardless), so the folder that would hold the new
 * entries is probed by creating a uniquely named folder in it and removing it at once.
 */
export class OutputPathError extends UserFacingError {}

/** `dir` is a folder that exists and can be written, or one that can be created. */
export function checkOutputFolder(dir: string, flag: string): void {
  const path = resolve(dir);
  const existing = nearestExisting(path);
  if (!existing.stats.isDirectory()) {
    throw new OutputPathError(`${flag} ${dir}: ${existing.path === path ? 'is a file, not a folder' : `cannot be created: ${existing.path} is a file, not a folder`}`);
  }
  probeFolder(existing.path, `${flag} ${dir}`);
}

/** `file` can be appended to (it exists and is a writable file) or created. */
export function checkOutputFile(file: string, flag: string): void {
  const path = resolve(file);
  const stats = statOrNull(path);
  if (stats?.isDirectory()) throw new OutputPathError(`${flag} ${file}: is a folder, not a file`);
  if (stats) {
    try {
      // Opening for append changes nothing in an existing file.
      closeSync(openSync(path, 'a'));
    } catch (error) {
      throw new OutputPathError(`${flag} ${file}: cannot be written (${codeOf(error)})`);
    }
    return;
  }
  const parent = dirname(path);
  const existing = nearestExisting(parent);
  if (!existing.stats.isDirectory()) throw new OutputPathError(`${flag} ${file}: cannot be created: ${existing.path} is a file, not a folder`);
  probeFolder(existing.path, `${flag} ${file}`);
}

function probeFolder(folder: string, what: string): void {
  let probe: string;
  try {
    probe = mkdtempSync(join(folder, '.spillway-write-check-'));
  } catch (error) {
    throw new OutputPathError(`${what}: cannot be written: nothing can be created in ${folder} (${codeOf(error)})`);
  }
  rmdirSync(probe);
}

/** The path itself, or its nearest ancestor that exists (the root always does). */
function nearestExisting(path: string): { path: string; stats: Stats } {
  for (let at = path; ; at = dirname(at)) {
    const stats = statOrNull(at);
    if (stats) return { path: at, stats };
    if (dirname(at) === at) throw new OutputPathError(`${path}: no part of it exists`);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    // ENOENT: missing; ENOTDIR: an ancestor is a file (the caller then finds that file).
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return null;
    throw new OutputPathError(`${path}: cannot be inspected (${codeOf(error)})`);
  }
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}
