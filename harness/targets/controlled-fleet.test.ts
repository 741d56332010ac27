import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { exitOf, spillway } from '../cli/cli-test-support.ts';
import { defaultK6ConfigFile, defaultGatewayConfigDir } from '../run/run-scenario.ts';
import { controlTokenFrom, controlTokenVariable } from './controlled-fleet.ts';
import { startEmbeddedTopology } from './embedded-topology.ts';
import { loadK6Config, scenarioPlan } from '../run/scenario-plan.ts';

/**
 * The control token rule on every path that starts a fleet: `fleet up`, `gateway up`, and a
 * run's embedded topology. With SPILLWAY_CONTROL_TOKEN set, the control API answers 401
 * without the token and with a wrong one, 200 with it; the token is printed nowhere. No load
 * is sent: one health call per case.
 */
const token = 'control-token-under-test-never-printed';

async function expectTokenEnforced(control: string): Promise<void> {
  const health = `${control}/health`;
  expect((await fetch(health)).status, 'no token').toBe(401);
  expect((await fetch(health, { headers: { authorization: 'Bearer wrong-token' } })).status, 'a wrong token').toBe(401);
  expect((await fetch(health, { headers: { authorization: `Bearer ${token}x` } })).status, 'the token with a character more').toBe(401);
  expect((await fetch(health, { headers: { authorization: `Bearer ${token}` } })).status, 'the token').toBe(200);
}

/** Starts a long-running command, reads its one JSON line, runs `check`, stops it, and returns everything it printed. */
async function withCommand(args: string[], env: Record<string, string>, check: (description: Record<string, unknown>) => Promise<void>): Promise<string> {
  const child = spillway(args, env);
  const exited = exitOf(child);
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
    exited.then(({ code, stderr }) => Promise.reject(new Error(`${args.join(' ')} exited ${code} before printing: ${stderr}`))),
  ]);
  try {
    await check(JSON.parse(line) as Record<string, unknown>);
  } finally {
    child.kill('SIGINT');
  }
  const { code, stdout, stderr } = await exited;
  expect(code).toBe(0);
  return `${line}\n${stdout}${stderr}`;
}

describe('the control token rule', () => {
  it('reads the token from SPILLWAY_CONTROL_TOKEN; empty counts as unset', () => {
    expect(controlTokenVariable).toBe('SPILLWAY_CONTROL_TOKEN');
    expect(controlTokenFrom({ SPILLWAY_CONTROL_TOKEN: 'abc' })).toBe('abc');
    expect(controlTokenFrom({ SPILLWAY_CONTROL_TOKEN: '' })).toBeUndefined();
    expect(controlTokenFrom({})).toBeUndefined();
  });

  it('fleet up: enforced on the default loopback listener, never printed', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-fleet-'));
    const printed = await withCommand(['fleet', 'up', '--json', '--latency-scale', '0', '--ledger', join(dir, 'ledger.jsonl')], { [controlTokenVariable]: token }, async (description) => {
      await expectTokenEnforced(description.control as string);
    });
    expect(printed).not.toContain(token);
  });

  it('gateway up: enforced on the fleet it starts, never printed', { timeout: 60_000 }, async () => {
    const logs = mkdtempSync(join(tmpdir(), 'token-gateway-'));
    const printed = await withCommand(['gateway', 'up', '--json', '--latency-scale', '0', '--logs', logs], { [controlTokenVariable]: token }, async (description) => {
      await expectTokenEnforced((description.fleet as { control: string }).control);
    });
    expect(printed).not.toContain(token);
  });

  it("spillway run: enforced on the embedded topology's fleet, and absent from what the journal records", { timeout: 60_000 }, async () => {
    const config = loadK6Config(defaultK6ConfigFile);
    const dir = mkdtempSync(join(tmpdir(), 'token-run-'));
    const topology = await startEmbeddedTopology({
      plan: scenarioPlan(config, 'smoke', defaultK6ConfigFile),
      configDir: defaultGatewayConfigDir,
      ledgerPath: join(dir, 'fleet-ledger.jsonl'),
      logsDir: join(dir, 'gateway-logs'),
      env: { [controlTokenVariable]: token },
    });
    try {
      await expectTokenEnforced(topology.fleet.describe().control);
      // run-scenario.ts writes describe() into the journal as the run's target.
      expect(JSON.stringify(topology.describe())).not.toContain(token);
    } finally {
      await topology.close();
    }
  });

  it('spillway run without the variable: the control API answers loopback callers without a token, as before', { timeout: 60_000 }, async () => {
    const config = loadK6Config(defaultK6ConfigFile);
    const dir = mkdtempSync(join(tmpdir(), 'token-run-none-'));
    const topology = await startEmbeddedTopology({
      plan: scenarioPlan(config, 'smoke', defaultK6ConfigFile),
      configDir: defaultGatewayConfigDir,
      ledgerPath: join(dir, 'fleet-ledger.jsonl'),
      logsDir: join(dir, 'gateway-logs'),
      env: {},
    });
    try {
      expect((await fetch(`${topology.fleet.describe().control}/health`)).status).toBe(200);
    } finally {
      await topology.close();
    }
  });
});
