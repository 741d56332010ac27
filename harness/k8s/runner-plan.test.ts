import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../scenarios/lib/plan.ts';
import { loadK6Config, scenarioPlan, type K6Config, type ScenarioPlan } from '../run/scenario-plan.ts';
import { kubeletEnv } from './kubelet-env-support.ts';
import { keyVariables, runnerEnv, runnerPlanValue, runnerSummaryPath, type RunnerPlanInput } from './runner-plan.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const configFile = join(repoRoot, 'k6.config.json');
const config = loadK6Config(configFile);

function input(scenario: string, overrides: Partial<RunnerPlanInput> = {}): RunnerPlanInput {
  return { plan: scenarioPlan(config, scenario, configFile), config, units: 3, gatewayUrl: 'https://apim.example.net/', runId: 'spillway-smoke-20261207-070000', keySecret: 'keys', ...overrides };
}

const secrets = (plan: ScenarioPlan, k6Config: K6Config): Record<string, string> => Object.fromEntries(keyVariables(plan, k6Config).map((keyEnv, i) => [keyEnv, `0123456789abcdef0123456789abcd${String(i).padStart(2, '0')}`]));

describe('the runner plan', () => {
  it('holds no key, only a reference per consumer to the variable its key is in', () => {
    const value = runnerPlanValue(input('smoke'));
    const traffic = (JSON.parse(value) as { traffic: { consumer: string; key: string }[] }).traffic;
    for (const t of traffic) expect(t.key).toBe(`$(${config.consumers[t.consumer]!.keyEnv})`);
    for (const consumer of Object.values(config.consumers)) expect(value).not.toContain(consumer.localKey);
  });

  it('becomes, once the kubelet has expanded it, the plan the scenario script accepts, keys in place', () => {
    for (const scenario of Object.keys(config.scenarios)) {
      const planInput = input(scenario);
      const keys = secrets(planInput.plan, config);
      const env = kubeletEnv(runnerEnv(planInput), keys);
      const parsed = parsePlan(env.SPILLWAY_PLAN, planInput.plan.script ?? scenario);
      for (const t of parsed.traffic) expect(t.key).toBe(keys[config.consumers[t.consumer]!.keyEnv]);
      expect(parsed.baseUrl).toBe('https://apim.example.net');
      expect(parsed.summaryPath).toBe(runnerSummaryPath);
      expect(parsed.units).toBe(3);
      // Total rates: k6's execution segments split them among the runners.
      expect(parsed.traffic.map((t) => t.rate)).toEqual(planInput.plan.traffic.map((t) => t.ratePerUnit * 3));
    }
  });

  it('defines the key variables before the plan that refers to them', () => {
    const env = runnerEnv(input('smoke'));
    const names = env.map((v) => v.name);
    expect(names.at(-1)).toBe('SPILLWAY_PLAN');
    expect(names.slice(1, -1)).toEqual(keyVariables(input('smoke').plan, config));
    expect(env.slice(1, -1).every((v) => 'valueFrom' in v && 'secretKeyRef' in v.valueFrom && v.valueFrom.secretKeyRef.name === 'keys')).toBe(true);
  });

  it('escapes a "$(" already in the plan, so that only the keys are expanded', () => {
    const base = input('spillover');
    // Text naming a key variable the runner does define: unescaped, the kubelet would put the key there.
    const literal = `http_req_duration{note:$(${keyVariables(base.plan, config)[0]})}`;
    const plan = { ...base.plan, thresholds: { [literal]: ['p(95)<1000'] } };
    const env = kubeletEnv(runnerEnv({ ...base, plan }), secrets(plan, config));
    expect(Object.keys(parsePlan(env.SPILLWAY_PLAN, 'spillover').thresholds)).toEqual([literal]);
  });
});
