/**
 * The one place scenarios/lib touches k6's modules. Everything else imports k6 from here, so
 * a unit test replaces all of k6 with one line:
 *
 *   vi.mock('./k6-imports.ts', () => import('./k6-shims/index.ts'));
 *
 * esbuild leaves these imports in the bundle (they are external), and k6 resolves them at run
 * time; in vitest this file is never loaded, because 'k6', 'k6/http', … exist nowhere in
 * node_modules. Keep the shims in k6-shims/index.ts exporting the same names.
 */
export { check } from 'k6';
export { default as http } from 'k6/http';
export { default as execution } from 'k6/execution';
export { Counter, Rate, Trend } from 'k6/metrics';

export type { RefinedResponse, RefinedParams } from 'k6/http';
export type { Options, ConstantArrivalRateScenario } from 'k6/options';
