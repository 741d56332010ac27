/**
 * How long rows took to reach the workspace: ingestion_time() - TimeGenerated for every row
 * fetched, summarized for the journal. TimeGenerated is when the gateway started the request, so
 * the lag includes the request's own duration (at most the gateway's timeout) before its row
 * was even written.
 */
export interface LagSummary {
  rows: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export class LagSamples {
  #values: number[] = [];

  add(timeGenerated: string, ingestedAt: unknown): void {
    const ingested = ingestedAt instanceof Date ? ingestedAt.getTime() : typeof ingestedAt === 'string' ? Date.parse(ingestedAt) : NaN;
    const generated = Date.parse(timeGenerated);
    if (Number.isFinite(ingested) && Number.isFinite(generated)) this.#values.push(ingested - generated);
  }

  summary(): LagSummary | null {
    if (this.#values.length === 0) return null;
    const sorted = Float64Array.from(this.#values).sort();
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    return { rows: sorted.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted[sorted.length - 1]! };
  }
}
