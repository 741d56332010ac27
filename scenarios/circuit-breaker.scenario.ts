/**
 * The circuit-breaker scenario: the traffic of the resolved plan in SPILLWAY_PLAN (what it drives and why:
 * k6.config.json → scenarios.circuit-breaker). The harness applies the fault timeline and the verifiers
 * judge the evidence. Bundled to dist/scenarios/circuit-breaker.js by `npm run build:scenarios`.
 */
import { defineScenario } from './lib/scenario.ts';

const script = defineScenario('circuit-breaker', __ENV);

export const options = script.options;
export const traffic = script.traffic;
export const handleSummary = script.handleSummary;
