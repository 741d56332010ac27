import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runtime = fileURLToPath(new URL('./node-runtime.js', import.meta.url));

/** Runs `code` as the child of runWithNode (the launcher an old Node goes through) and reports how the launcher ended. */
function launch(code: string): { status: number | null; signal: NodeJS.Signals | null } {
  const script = `import { runWithNode } from ${JSON.stringify(runtime)}; runWithNode(['-e', ${JSON.stringify(code)}]);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', timeout: 30_000 });
  return { status: result.status, signal: result.signal };
}

describe('runWithNode (the launcher)', () => {
  it('exits with the child\'s exit code', () => {
    expect(launch('process.exit(3)')).toEqual({ status: 3, signal: null });
  });

  it('dies of the signal that killed the child, instead of exiting 0', () => {
    expect(launch('process.kill(process.pid, "SIGTERM")')).toEqual({ status: null, signal: 'SIGTERM' });
    expect(launch('process.kill(process.pid, "SIGINT")')).toEqual({ status: null, signal: 'SIGINT' });
  });
});
