import { z } from 'zod';

/**
 * What the client saw for one request. k6 emits one `spillway_request` Trend sample per
 * request (scenarios/lib/metrics.ts), with what the client saw as its tags (named in
 * scenarios/lib/classify.ts, ClientTags); the harness reads them back from k6's JSON output
 * (`--out json=k6-samples.json`) into ClientRecords. Both shapes are here: the sample as k6
 * writes it, and the record the verifiers read.
 */

/** A tag holding a whole number (k6 tags are strings). */
const wholeNumberTag = z.string().regex(/^\d+$/, 'expected a whole number');

export const errorOrigins = ['gateway', 'backend', 'frontdoor', ''] as const;
export const gatewayReasons = ['token-limit', 'token-quota', 'rate-limit', 'quota', 'pool-exhausted', 'other', ''] as const;

/**
 * One line of k6's JSON output for a `spillway_request` sample. The scenarios set every tag on
 * every sample ('' when it does not apply); k6 may add tags of its own (group, ...), which are
 * kept out of the record.
 */
export const k6RequestSampleSchema = z.object({
  type: z.literal('Point'),
  metric: z.literal('spillway_request'),
  data: z.object({
    /** RFC 3339 with microseconds and the machine's UTC offset, as k6 writes it. */
    time: z.iso.datetime({ offset: true, local: false }),
    /** The request's duration, ms. */
    value: z.number().min(0),
    tags: z.object({
      status: wholeNumberTag,
      scenario: z.string(),
      consumer: z.string(),
      priority: z.string(),
      operation: z.enum(['chat', 'embeddings']),
      stream: z.enum(['true', 'false']),
      served_by: z.string(),
      served_region: z.string(),
      fd_origin: z.string(),
      error_origin: z.enum(errorOrigins),
      gateway_reason: z.enum(gatewayReasons),
      retry_after: z.string(),
      remaining_tokens: z.string(),
      prompt_tokens: wholeNumberTag,
      completion_tokens: wholeNumberTag,
    }),
  }),
});
export type K6RequestSample = z.infer<typeof k6RequestSampleSchema>;

/** What the verifiers read of one client request, all times epoch ms. */
export const clientRecordSchema = z.strictObject({
  /** When the response ended (k6's sample time), epoch ms (k6 writes microseconds; whole ms are kept). */
  time: z.number(),
  /** Request duration in ms (the sample's value). */
  durationMs: z.number().min(0),
  /** 0 when no response arrived (connection refused or reset, timeout). */
  status: z.int().min(0),
  scenario: z.string(),
  /** Consumer class: critical-ops, user-facing, batch, dev-test. */
  consumer: z.string(),
  /** The X-Priority the client sent: high, medium, low, or '' when none. */
  priority: z.string(),
  operation: z.enum(['chat', 'embeddings']),
  stream: z.boolean(),
  /** x-fleet-backend of the answer, '' when the gateway answered itself or nothing came back. */
  servedBy: z.string(),
  /** x-fleet-region of the answer, ''. */
  servedRegion: z.string(),
  /** x-fd-origin: the region the front door routed to, '' without a front door. */
  frontDoorOrigin: z.string(),
  /** Who refused a 429/403/5xx: the gateway itself, a backend (passed through), the front door, or '' for none. */
  errorOrigin: z.enum(errorOrigins),
  /**
   * Why the gateway itself refused, from its body's message: token-limit ("Token limit is
   * exceeded"), token-quota, rate-limit, quota, pool-exhausted (503 with no backend), other; ''.
   */
  gatewayReason: z.enum(gatewayReasons),
  /** The Retry-After header of a 429, '' when absent. */
  retryAfter: z.string(),
  /** The gateway's remaining-tokens header (x-gateway-remaining-tokens), '' when absent. */
  remainingTokens: z.string(),
  promptTokens: z.int().min(0),
  completionTokens: z.int().min(0),
});
export type ClientRecord = z.infer<typeof clientRecordSchema>;

/** A line of k6's JSON output that is a `spillway_request` sample (k6 writes other metrics too). */
export const isRequestPoint = (row: unknown): boolean =>
  typeof row === 'object' && row !== null && (row as { type?: unknown }).type === 'Point' && (row as { metric?: unknown }).metric === 'spillway_request';

/** k6's sample as the record the verifiers and the reports read. */
export function toClientRecord(point: K6RequestSample): ClientRecord {
  const tags = point.data.tags;
  return {
    time: Date.parse(point.data.time),
    durationMs: point.data.value,
    status: Number(tags.status),
    scenario: tags.scenario,
    consumer: tags.consumer,
    priority: tags.priority,
    operation: tags.operation,
    stream: tags.stream === 'true',
    servedBy: tags.served_by,
    servedRegion: tags.served_region,
    frontDoorOrigin: tags.fd_origin,
    errorOrigin: tags.error_origin,
    gatewayReason: tags.gateway_reason,
    retryAfter: tags.retry_after,
    remainingTokens: tags.remaining_tokens,
    promptTokens: Number(tags.prompt_tokens),
    completionTokens: Number(tags.completion_tokens),
  };
}
