import type { GoToolchain } from './go-builder.ts';
import type { ToolSpec } from './tool-specs.ts';

/** Version strings such as 1.25, 1.26.8 or 1.21rc2, compared by their numbers. */
export function compareGoVersions(a: string, b: string): number {
  const parts = (version: string): number[] => (/^\d+(?:\.\d+)*/.exec(version)?.[0] ?? '0').split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** GOTOOLCHAIN=local (or local+…): Go must not fetch another toolchain. */
export function goStaysLocal(env: NodeJS.ProcessEnv): boolean {
  return (env.GOTOOLCHAIN ?? '').split('+')[0] === 'local';
}

/**
 * Whether the Go found can build the tool. An older Go from 1.21 on fetches the toolchain the
 * module's go directive asks for by itself (GOTOOLCHAIN=auto, its default), unless told to
 * stay local; before 1.21 it cannot, and the build would fail with a compiler error that says
 * nothing of versions.
 */
export function goTooOldFor(spec: ToolSpec, go: GoToolchain, env: NodeJS.ProcessEnv): 'no' | 'toolchain-download' | 'refuse' {
  if (compareGoVersions(go.version, spec.minimumGo) >= 0) return 'no';
  return compareGoVersions(go.version, '1.21') >= 0 && !goStaysLocal(env) ? 'toolchain-download' : 'refuse';
}
