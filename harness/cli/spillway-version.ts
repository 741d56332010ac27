import { readFileSync } from 'node:fs';

/**
 * Spillway's version, as package.json gives it: the one place it is written, so `--version`,
 * the help and the package never disagree. Read when asked (once per command line), not at
 * import, so that a test importing the CLI does not read files it does not need.
 */
export function spillwayVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  // A package.json without a version is a broken checkout, not something a user can fix by
  // changing what they typed: said plainly, as a harness bug would be.
  if (typeof version !== 'string' || version === '') throw new Error('package.json has no "version"');
  return version;
}
