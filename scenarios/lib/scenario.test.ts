import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineScenario } from './scenario.ts';
import { planWire } from './test-support.ts';

vi.mock('./k6-imports.ts', () => import('./k6-shims/index.ts'));

const scenarioNames = ['smoke', 'spillover', 'circuit-breaker', 'priority', 'failover', 'token-limit'];

describe('defineScenario', () => {
  it('builds options, the exec function and handleSummary from SPILLWAY_PLAN', () => {
    const script = defineScenario('smoke', { SPILLWAY_PLAN: JSON.stringify(planWire()) });
    expect(Object.keys(script.options.scenarios ?? {})).toEqual(['t0_user-facing']);
    expect(typeof script.traffic).toBe('function');
    expect(Object.keys(script.handleSummary({ metrics: {} }))).toEqual(['/tmp/spillway-test/k6-summary.json', 'stdout']);
  });

  it('fails in the init context when the plan is missing', () => {
    expect(() => defineScenario('smoke', {})).toThrow(/SPILLWAY_PLAN is not set/);
  });
});

describe('the scenario scripts', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  for (const name of scenarioNames) {
    it(`${name} exports options, traffic and handleSummary and accepts only its own plan`, async () => {
      vi.stubGlobal('__ENV', { SPILLWAY_PLAN: JSON.stringify(planWire({ name })) });
      const script = (await import(`../${name}.scenario.ts`)) as Record<string, unknown>;
      expect(Object.keys(script).sort()).toEqual(['handleSummary', 'options', 'traffic']);
      expect(typeof script.traffic).toBe('function');
      vi.resetModules();
      vi.stubGlobal('__ENV', { SPILLWAY_PLAN: JSON.stringify(planWire({ name: name === 'smoke' ? 'failover' : 'smoke' })) });
      await expect(import(`../${name}.scenario.ts`)).rejects.toThrow(/but this script is the/);
    });
  }
});
