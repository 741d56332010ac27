/**
 * The failover scenario: the traffic of the resolved plan in SPILLWAY_PLAN (what it drives and why:
 * k6.config.json → scenarios.failover). The harness applies the fault timeline and the verifiers
 * judge the evidence. Bundled to dist/scenarios/failover.js by `npm run build:scenarios`.
 */
import { defineScenario } from './lib/scenario.ts';

const script = defineScenario('failover', __ENV);

export const options = script.options;
export const traffic = script.traffic;
export const handleSummary = script.handleSummary;
