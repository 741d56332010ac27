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

/** The value of the ASCII digits of `text` at [from, from + count); -1 when any is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The day k6TimeEpochMs last met ('YYYY-MM-DD'; '' before any), and its start, epoch ms. */
let knownDay = '';
let knownDayStartMs = 0;

/**
 * The epoch ms of a sample time in k6's layout, RFC 3339 with seconds, 1-9 fraction digits or
 * none, and Z or a ±HH:MM offset ('2026-01-01T12:00:00.123456+01:00'), of a day that exists and
 * a year from 100; null for anything else (a caller then falls back to Date.parse, or to the
 * schema). Equal to Date.parse on every string it accepts (the fraction is truncated to whole
 * ms, as Date.parse does; client-record.test.ts holds the two side by side), and several times
 * cheaper over a long run's samples: no regular expression, no date object, and the day's start
 * computed once per day, the samples of a run being mostly of one day.
 */
export function k6TimeEpochMs(time: string): number | null {
  const length = time.length;
  // '-' '-' 'T' ':' ':' at their places.
  if (length < 20 || time.charCodeAt(4) !== 45 || time.charCodeAt(7) !== 45 || time.charCodeAt(10) !== 84 || time.charCodeAt(13) !== 58 || time.charCodeAt(16) !== 58) return null;
  let dayStart: number;
  if (knownDay !== '' && time.startsWith(knownDay)) {
    dayStart = knownDayStartMs;
  } else {
    const year = digitsAt(time, 0, 4);
    const month = digitsAt(time, 5, 2);
    const day = digitsAt(time, 8, 2);
    // Date.UTC reads years 0-99 as 1900-1999: those are left to Date.parse.
    if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31) return null;
    dayStart = Date.UTC(year, month - 1, day);
    // A day that does not exist (31 February) would roll over into the next month.
    if (new Date(dayStart).getUTCDate() !== day) return null;
    knownDay = time.slice(0, 10);
    knownDayStartMs = dayStart;
  }
  const hour = digitsAt(time, 11, 2);
  const minute = digitsAt(time, 14, 2);
  const second = digitsAt(time, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  let i = 19;
  let ms = 0;
  if (time.charCodeAt(i) === 46) {
    const first = ++i;
    for (; i < length; i++) {
      const digit = time.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      if (i - first < 3) ms = ms * 10 + digit;
    }
    const digits = i - first;
    if (digits < 1 || digits > 9) return null;
    if (digits === 1) ms *= 100;
    else if (digits === 2) ms *= 10;
  }
  let offsetMs: number;
  const sign = time.charCodeAt(i);
  if (i === length - 1 && sign === 90) {
    offsetMs = 0;
  } else if (i === length - 6 && (sign === 43 || sign === 45) && time.charCodeAt(i + 3) === 58) {
    const offsetHours = digitsAt(time, i + 1, 2);
    const offsetMinutes = digitsAt(time, i + 4, 2);
    if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) return null;
    offsetMs = (sign === 43 ? 1 : -1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  } else {
    return null;
  }
  return dayStart + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offsetMs;
}

/** k6's sample as the record the verifiers and the reports read. */
export function toClientRecord(point: K6RequestSample): ClientRecord {
  const tags = point.data.tags;
  const time = point.data.time;
  return {
    time: k6TimeEpochMs(time) ?? Date.parse(time),
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
