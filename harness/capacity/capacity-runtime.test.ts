/**
 * `spillway capacity --runtime`: a value that is not a runtime, and `container` where no engine
 * answers, are refused before anything starts (exit 2, no run folder).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../cli/cli-test-support.ts';

describe('spillway capacity --runtime', () => {
  it('refuses a runtime that is not one, and container without an engine, with nothing created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capacity-runtime-'));
    const results = join(dir, 'results');
    expect(await runCliInProcess(['capacity', '--runtime', 'vm', '--results', results])).toMatchObject({ code: 2, stderr: expect.stringContaining('--runtime must be one of process, container, not "vm"') });
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(dir, 'no-engine.sock')}`;
    try {
      const refused = await runCliInProcess(['capacity', '--runtime', 'container', '--start-rps', '20', '--step-rps', '20', '--max-rps', '40', '--results', results]);
      expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/--runtime container needs a container engine/) });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    expect(existsSync(results)).toBe(false);
  });
});
