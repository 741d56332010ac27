import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './cli-test-support.ts';
import { worstExitCode } from './drill-command.ts';
import { defaultDrillsDir, drillFiles } from '../drill/drill-catalog.ts';

describe('spillway drill', () => {
  it('--list lists every shipped drill with the event it drills', async () => {
    const { code, stdout } = await runCliInProcess(['drill', '--list']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^subscription-429-spike\s+429 spike on one subscription\s+A 429 spike/m);
    expect(stdout).toMatch(/^self-hosted-gateway-disconnected  self-hosted gateway disconnected from control plane  A self-hosted gateway/m);
    // One line a drill file of the folder (other sessions add drills).
    expect(stdout.trim().split('\n')).toHaveLength(drillFiles(defaultDrillsDir).length);
  });

  it('refuses no choice, two choices, an unknown drill and a bad drill file, with exit 2 and nothing started', async () => {
    expect(await runCliInProcess(['drill'])).toMatchObject({ code: 2, stderr: expect.stringContaining('give one of: a drill name, --all, --list') });
    expect(await runCliInProcess(['drill', 'x', '--all'])).toMatchObject({ code: 2, stderr: expect.stringContaining('give one of') });
    expect(await runCliInProcess(['drill', 'no-such-drill'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown drill "no-such-drill": .*drills has (?:[a-z0-9-]+, )*backend-latency-spike, /) });
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

  it('takes the target flags of spillway run, and refuses what a drill cannot do on its target before anything starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-cli-targets-'));
    const results = join(dir, 'results');
    const fleetFile = join(dir, 'fleet.json');
    writeFileSync(fleetFile, '{}');
    // A gateway at a URL brings no rows of its own: kql probes and detection queries cannot be judged.
    const atUrl = await runCliInProcess(['drill', 'backend-pool-member-ejected', '--gateway-url', 'http://127.0.0.1:9', '--fleet', fleetFile, '--results', results]);
    expect(atUrl.code).toBe(2);
    expect(atUrl.stderr).toMatch(/backend-pool-member-ejected\.drill\.json: steadyStateHypothesis\.probes\.1 \("no 5xx to clients \(gateway rows\)"\): a kql probe reads the gateway's own rows, which a gateway at a URL \(--gateway-url\) does not bring/);
    expect(atUrl.stderr).toMatch(/backend-pool-member-ejected\.drill\.json: detection\.0 \(/);
    // The target flags as spillway run checks them.
    const both = await runCliInProcess(['drill', 'subscription-429-spike', '--gateway-url', 'http://127.0.0.1:9', '--target', fleetFile, '--results', results]);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('--gateway-url and --target both say what the run drives') });
    const noTarget = await runCliInProcess(['drill', 'subscription-429-spike', '--target', join(dir, 'nowhere.json'), '--results', results]);
    expect(noTarget).toMatchObject({ code: 2, stderr: expect.stringContaining(`--target ${join(dir, 'nowhere.json')}: does not exist`) });
    // A real APIM's configuration is not the drill's to overlay.
    const overlay = await runCliInProcess(['drill', 'token-budget-exhausted', '--target', fleetFile, '--results', results]);
    expect(overlay).toMatchObject({ code: 2, stderr: expect.stringMatching(/token-budget-exhausted\.drill\.json: configOverlay: .*not Spillway's to change/) });
    expect(await runCliInProcess(['drill', 'subscription-429-spike', '--runtime', 'vm', '--results', results])).toMatchObject({ code: 2, stderr: expect.stringContaining('--runtime must be one of process, container, not "vm"') });
    expect(existsSync(results)).toBe(false);
  });

  it('refuses --runtime container without a container engine, before anything starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-cli-runtime-'));
    const results = join(dir, 'results');
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(dir, 'no-engine.sock')}`;
    try {
      const refused = await runCliInProcess(['drill', 'subscription-429-spike', '--runtime', 'container', '--results', results]);
      expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/--runtime container needs a container engine/) });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
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
