import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './cli-test-support.ts';
import { worstExitCode } from './drill-command.ts';

describe('spillway drill', () => {
  it('--list lists every shipped drill with the event it drills', async () => {
    const { code, stdout } = await runCliInProcess(['drill', '--list']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^subscription-429-spike\s+429 spike on one subscription\s+A 429 spike/m);
    expect(stdout).toMatch(/^self-hosted-gateway-disconnected  self-hosted gateway disconnected from control plane  A self-hosted gateway/m);
    expect(stdout.trim().split('\n')).toHaveLength(7);
  });

  it('refuses no choice, two choices, an unknown drill and a bad drill file, with exit 2 and nothing started', async () => {
    expect(await runCliInProcess(['drill'])).toMatchObject({ code: 2, stderr: expect.stringContaining('give one of: a drill name, --all, --list') });
    expect(await runCliInProcess(['drill', 'x', '--all'])).toMatchObject({ code: 2, stderr: expect.stringContaining('give one of') });
    expect(await runCliInProcess(['drill', 'no-such-drill'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown drill "no-such-drill": .*drills has backend-latency-spike, /) });
    const dir = mkdtempSync(join(tmpdir(), 'drill-cli-'));
    const spec = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'drills', 'backend-pool-member-ejected.drill.json'), 'utf8'));
    spec.steadyStateHypothesis.probes[0].kind = 'ping';
    writeFileSync(join(dir, 'bad.drill.json'), JSON.stringify(spec));
    const results = join(dir, 'results');
    const bad = await runCliInProcess(['drill', '--all', '--drills', dir, '--results', results]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${join(dir, 'bad.drill.json')}: steadyStateHypothesis.probes.0.kind`);
    expect(existsSync(results)).toBe(false);
    const noConfig = await runCliInProcess(['drill', 'subscription-429-spike', '--config', join(dir, 'nowhere'), '--results', results]);
    expect(noConfig).toMatchObject({ code: 2, stderr: expect.stringContaining(`--config ${join(dir, 'nowhere')}: not a folder`) });
    expect(existsSync(results)).toBe(false);
  });

  it('exits with the worst drill: a harness failure over a deviation over inconclusive over held', () => {
    expect(worstExitCode([0, 3, 1, 0], false)).toBe(1);
    expect(worstExitCode([1, 2], false)).toBe(2);
    expect(worstExitCode([0, 3], false)).toBe(3);
    expect(worstExitCode([0, 0], false)).toBe(0);
    expect(worstExitCode([0], true)).toBe(2);
  });
});
