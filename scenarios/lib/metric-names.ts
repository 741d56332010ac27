/** Names of Spillway's custom k6 metrics (metrics.ts creates them; the summary reads them back). */
export const metricNames = {
  request: 'spillway_request',
  tokens: 'spillway_tokens',
  tooManyRequests: 'spillway_429',
  spillover: 'spillway_spillover',
} as const;
