import type { CapacityReference } from '../run/scenario-plan.ts';
import type { CapacityProfileName } from './capacity-gateway-config.ts';

/**
 * The measured figure beside the per-unit figures kept in k6.config.json (`capacityReference`),
 * each for the profile measured, with what kind of figure it is. They are estimates (APIM's own
 * words: "not a call limit, but rather an estimated maximum throughput value"); the comparison
 * helps read a result, it never decides one. Only the emulator's figure is configured, so on the
 * embedded default the comparison says how the emulated gateway relates to the tiers, not how a
 * real one would do.
 */
export interface ReferenceComparison {
  tier: string;
  displayName: string;
  referenceRpsPerUnit: number;
  basis: string;
  source: string;
  /** The measured figure (or lower bound) per unit over the reference; null when nothing was measured. */
  ratio: number | null;
}

export function compareWithReference(reference: CapacityReference | undefined, profile: CapacityProfileName, measuredRpsPerUnit: number | null): ReferenceComparison[] {
  if (!reference) return [];
  return Object.entries(reference.tiers).map(([tier, figure]) => {
    const referenceRpsPerUnit = typeof figure.requestsPerSecondPerUnit === 'number' ? figure.requestsPerSecondPerUnit : figure.requestsPerSecondPerUnit[profile];
    return { tier, displayName: figure.displayName, referenceRpsPerUnit, basis: figure.basis, source: figure.source, ratio: measuredRpsPerUnit === null ? null : measuredRpsPerUnit / referenceRpsPerUnit };
  });
}

/** Lines for the terminal: one per tier, saying which figures are estimates and of what kind. */
export function referenceLines(comparisons: readonly ReferenceComparison[], profile: CapacityProfileName, measuredLabel: string): string[] {
  if (comparisons.length === 0) return ['no per-unit reference figures in k6.config.json (capacityReference) to compare with'];
  return [
    `compared with the per-unit reference figures in k6.config.json (${profile} profile; every one an ESTIMATE, not a limit):`,
    ...comparisons.map((c) => `  ${c.displayName.padEnd(20)} ${c.referenceRpsPerUnit.toLocaleString('en-US').padStart(6)} req/s per unit (${c.basis})${c.ratio === null ? '' : `: ${measuredLabel} is ${(c.ratio * 100).toFixed(0)}% of it`}`),
  ];
}
