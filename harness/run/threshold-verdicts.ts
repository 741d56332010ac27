import { existsSync, readFileSync } from 'node:fs';
import type { Verdict } from '../verify/verdict.ts';

/**
 * k6's thresholds as verdicts, from `--summary-export`. In that file a threshold's boolean is
 * inverted: `true` means the threshold FAILED (k6 writes `!threshold.ok`).
 */
export function thresholdVerdicts(summaryExportFile: string, relativeName: string, declared: Record<string, readonly string[]>): Verdict[] {
  if (!existsSync(summaryExportFile)) return [];
  const summary = JSON.parse(readFileSync(summaryExportFile, 'utf8')) as { metrics?: Record<string, Record<string, unknown> & { thresholds?: Record<string, boolean> }> };
  const verdicts: Verdict[] = [];
  for (const [metric, values] of Object.entries(summary.metrics ?? {})) {
    for (const [expression, failed] of Object.entries(values.thresholds ?? {})) {
      // Only the thresholds the plan declares are verdicts; the script adds always-true ones
      // (count>=0) so that k6 reports per-tag counts in its summary.
      if (!declared[metric]?.includes(expression)) continue;
      const aggregate = /^(p\(\d+(?:\.\d+)?\)|avg|min|max|med|rate|count|value)/.exec(expression)?.[1];
      const measuredValue = aggregate === 'rate' ? values.value : aggregate ? values[aggregate] : undefined;
      verdicts.push({
        check: `k6 threshold ${metric}`,
        status: failed ? 'fail' : 'pass',
        expected: expression,
        measured: typeof measuredValue === 'number' ? `${aggregate} = ${Number(measuredValue.toFixed(3))}` : 'see the k6 summary',
        tolerance: 'none (k6 evaluates the threshold)',
        explanation: failed ? `k6 reports the threshold ${metric} ${expression} crossed; the client-side numbers are in ${relativeName}.` : `k6 reports ${metric} ${expression} held.`,
        evidence: [{ file: relativeName, description: `metrics.${metric}` }],
      });
    }
  }
  return verdicts;
}
