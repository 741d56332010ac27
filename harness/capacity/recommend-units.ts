/**
 * How many gateway units a peak needs, from the measured requests per second per unit and the
 * headroom APIM's scaling guidance implies: scale out when sustained use passes 60-70%, or 40%
 * with a single unit, to leave room for guest-OS updates (research: apim-semantics.md §6 and
 * anchors-2026.md, from the "Capacity of an Azure API Management instance" and autoscale docs).
 * So with headroom h, n > 1 units may carry up to (1 - h) of their capacity at peak, and a
 * single unit only 40%; one unit is recommended only when the peak fits in its 40%.
 */
export const singleUnitUtilisation = 0.4;
export const defaultHeadroom = 0.3;

export interface UnitRecommendation {
  units: number;
  /** The share of the recommended units' capacity the peak uses. */
  utilisationAtPeak: number;
  explanation: string;
}

export function recommendUnits(input: { rpsPerUnit: number; peakRps: number; headroom: number }): UnitRecommendation {
  const { rpsPerUnit, peakRps, headroom } = input;
  if (!(rpsPerUnit > 0)) throw new RangeError(`requests per second per unit must be positive (got ${rpsPerUnit})`);
  if (!(peakRps > 0)) throw new RangeError(`the peak must be positive (got ${peakRps})`);
  if (!(headroom >= 0 && headroom < 1)) throw new RangeError(`headroom must be at least 0 and below 1 (got ${headroom})`);
  const usable = 1 - headroom;
  if (peakRps <= rpsPerUnit * singleUnitUtilisation) {
    return { units: 1, utilisationAtPeak: peakRps / rpsPerUnit, explanation: `one unit carries ${peakRps} req/s at ${pct(peakRps / rpsPerUnit)} of its ${fmt(rpsPerUnit)} req/s, within the 40% a single unit should stay under` };
  }
  const units = Math.max(2, Math.ceil(peakRps / (rpsPerUnit * usable) - 1e-9));
  const utilisationAtPeak = peakRps / (units * rpsPerUnit);
  return { units, utilisationAtPeak, explanation: `${units} units of ${fmt(rpsPerUnit)} req/s carry ${peakRps} req/s at ${pct(utilisationAtPeak)} of their capacity, within the ${pct(usable)} that a headroom of ${pct(headroom)} allows (one unit would need to stay under 40%)` };
}

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(0)}%`;
}
function fmt(rate: number): string {
  return rate.toFixed(rate < 10 ? 1 : 0);
}
