import { z } from 'zod';

/**
 * The events the front door logs (gateway-logs/front-door-events.jsonl, one per line, in the
 * order they happened). Every event carries `time`, an ISO timestamp from the front door's
 * clock, and `type`, which says which of the three it is.
 */

/** One health probe and its outcome: success only for a complete 200 response [DOC AFD-HP]. */
export const probeEventSchema = z.strictObject({
  type: z.literal('probe'),
  time: z.iso.datetime(),
  /** The origin probed, named by its region. */
  origin: z.string(),
  method: z.enum(['HEAD', 'GET']),
  path: z.string(),
  success: z.boolean(),
  /** The response status, when a response started. */
  status: z.int().optional(),
  /** Why no valid response arrived: `timeout`, an errno code such as `ECONNREFUSED`, or a message. */
  error: z.string().optional(),
  durationMs: z.number().min(0),
});
export type ProbeEvent = z.infer<typeof probeEventSchema>;

/** An origin changed state because of the probe result logged just before it. */
export const healthEventSchema = z.strictObject({
  type: z.literal('health'),
  time: z.iso.datetime(),
  origin: z.string(),
  healthy: z.boolean(),
  /** Successful probes among the last `sampleSize`. */
  successes: z.int().min(0),
  sampleSize: z.int().positive(),
});
export type HealthEvent = z.infer<typeof healthEventSchema>;

/**
 * One client request, logged when its exchange ends. `errorInfo` borrows the names of the AFD
 * access log's ErrorInfo field (NoError, OriginConnectionRefused, OriginConnectionAborted,
 * OriginConnectionError, OriginTimeout, DNSNameNotResolved, ClientDisconnected); `NoEnabledOrigin`
 * is ours, for a front door whose origins are all disabled.
 */
export const requestEventSchema = z.strictObject({
  type: z.literal('request'),
  time: z.iso.datetime(),
  /** The front door's reference for the request (its x-azure-ref), echoed to the client. */
  ref: z.string(),
  method: z.string(),
  path: z.string(),
  /** The origin chosen; absent when none was enabled. */
  origin: z.string().optional(),
  /** Whether the origin was chosen among healthy ones or, with none healthy, among all. */
  selection: z.enum(['healthy', 'all-unhealthy']).optional(),
  /** The status sent to the client; absent when the client left before any status was sent. */
  status: z.int().optional(),
  /** The status the origin answered, when it answered. */
  originStatus: z.int().optional(),
  errorInfo: z.string(),
  /** From the request's arrival to the end of the exchange, ms. */
  durationMs: z.number().min(0),
});
export type RequestEvent = z.infer<typeof requestEventSchema>;

export const frontDoorEventSchema = z.discriminatedUnion('type', [probeEventSchema, healthEventSchema, requestEventSchema]);
export type FrontDoorEvent = z.infer<typeof frontDoorEventSchema>;
export type ProberEvent = ProbeEvent | HealthEvent;
