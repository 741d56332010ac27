import { describe, expect, it } from 'vitest';
import { defaultK6ConfigFile } from '../run/run-input.ts';
import { loadK6Config } from '../run/scenario-plan.ts';
import { compareWithReference, referenceLines } from './reference-figures.ts';

describe('per-unit reference figures', () => {
  const reference = loadK6Config(defaultK6ConfigFile).capacityReference;

  it('ships figures for the classic tiers and Premium v2, each with its source and kind', () => {
    expect(reference).toBeDefined();
    expect(Object.keys(reference!.tiers)).toEqual(expect.arrayContaining(['developer', 'basic', 'standard', 'premium', 'premium-v2']));
    for (const figure of Object.values(reference!.tiers)) expect(figure.source.length).toBeGreaterThan(10);
  });

  it("picks a tier's figure for the profile measured, and gives the measured figure as a share of it", () => {
    const light = compareWithReference(reference, 'light', 1250).find((c) => c.tier === 'premium-v2')!;
    const heavy = compareWithReference(reference, 'heavy', 1250).find((c) => c.tier === 'premium-v2')!;
    expect(light).toMatchObject({ referenceRpsPerUnit: 2500, ratio: 0.5, basis: 'rule of thumb' });
    expect(heavy).toMatchObject({ referenceRpsPerUnit: 1000, ratio: 1.25 });
    // A classic tier's one figure serves both profiles.
    expect(compareWithReference(reference, 'heavy', 2000).find((c) => c.tier === 'premium')).toMatchObject({ referenceRpsPerUnit: 4000, ratio: 0.5, basis: 'published estimate' });
  });

  it('says every figure is an estimate, and that there is nothing to compare with when none are kept', () => {
    const lines = referenceLines(compareWithReference(reference, 'light', 150), 'light', 'the knee per unit');
    expect(lines[0]).toMatch(/ESTIMATE, not a limit/);
    expect(lines.join('\n')).toMatch(/Premium v2 .* 2,500 req\/s per unit \(rule of thumb\): the knee per unit is 6% of it/);
    expect(referenceLines(compareWithReference(undefined, 'light', 150), 'light', 'x')).toEqual(['no per-unit reference figures in k6.config.json (capacityReference) to compare with']);
  });
});
