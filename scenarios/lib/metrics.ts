import type { ClientTags } from './classify.ts';
import { Counter, Rate, Trend } from './k6-imports.ts';
import { metricNames } from './metric-names.ts';

/**
 * Spillway's custom k6 metrics. k6 only allows creating metrics in the init context, which is
 * where this module's top level runs (it is imported by every scenario script).
 *
 * - spillway_request (Trend, ms): one sample per request, its value the response's duration
 *   and its tags the ClientRecord fields (classify.ts); the harness rebuilds ClientRecords from
 *   these samples in k6's JSON output.
 * - spillway_tokens (Counter): prompt + completion tokens of successful answers, tagged consumer.
 * - spillway_429 (Counter): 429 answers, tagged origin (gateway | backend | frontdoor).
 * - spillway_spillover (Rate): for each successful medium-priority (or no-priority) request,
 *   whether a PAYG backend served it. The sample fleet names PAYG resources `*-payg`
 *   (aoai-eastus-payg); a remote fleet must follow that convention for this metric to mean
 *   anything (ClientRecords keep the backend name for the harness either way).
 */
export { metricNames };

export const requestTrend = new Trend(metricNames.request, true);
export const tokenCounter = new Counter(metricNames.tokens);
export const tooManyRequestsCounter = new Counter(metricNames.tooManyRequests);
export const spilloverRate = new Rate(metricNames.spillover);

/** The naming convention that marks a pay-as-you-go backend. */
export function isPaygBackend(backend: string): boolean {
  return backend.endsWith('-payg');
}

/** Records everything one request contributes to the custom metrics. */
export function recordRequest(durationMs: number, tags: ClientTags): void {
  requestTrend.add(durationMs, tags);
  // k6's system tag `scenario` names the k6 scenario (the traffic class); the plan's name wins.
  const base = { scenario: tags.scenario, consumer: tags.consumer };
  const status = Number(tags.status);
  const ok = status >= 200 && status < 300;
  const tokens = Number(tags.prompt_tokens) + Number(tags.completion_tokens);
  if (ok && tokens > 0) tokenCounter.add(tokens, base);
  if (status === 429) tooManyRequestsCounter.add(1, { ...base, origin: tags.error_origin || 'unknown' });
  if (ok && tags.served_by !== '' && (tags.priority === 'medium' || tags.priority === '')) spilloverRate.add(isPaygBackend(tags.served_by), base);
}
