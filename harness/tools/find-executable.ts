import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * PATH lookup done by hand rather than through a shell: the resolver needs the absolute
 * path it is about to verify and run, and the PATH searched is the one in the (possibly
 * injected) environment, not the process's own.
 */

/** True when `file` is a regular file this process may execute. */
export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable called `name` in the PATH of `env`, as an absolute path. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    // An empty PATH element means the current directory; a tool found that way would
    // depend on where the harness was started, so it is skipped.
    if (!directory || !isAbsolute(directory)) continue;
    const candidate = join(directory, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Turns a user-supplied binary reference into a path: a bare name (`k6`) is looked up on
 * PATH, anything with a separator is taken relative to the working directory.
 */
export async function resolveUserBinary(reference: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (!reference.includes('/') && !reference.includes('\\')) {
    return (await findOnPath(reference, env)) ?? resolve(reference);
  }
  return resolve(reference);
}
