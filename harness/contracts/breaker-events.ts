import { z } from 'zod';

/**
 * A circuit breaker's state change, shaped as the Event Grid event (EventGridSchema) APIM
 * publishes for it [DOC EG], one per line in gateway-logs/circuit-breaker-events.jsonl. The
 * verifiers use these only as a cross-check: the ledger shows what the breaker really did.
 */
export const breakerEventTypes = ['Microsoft.ApiManagement.CircuitBreaker.Opened', 'Microsoft.ApiManagement.CircuitBreaker.Closed'] as const;

export const breakerEventSchema = z.strictObject({
  /** Unique per event; the emulator derives it from the event (no randomness, so runs repeat). */
  id: z.string().min(1),
  /** The publishing resource, when known (absent from the emulator's events). */
  topic: z.string().optional(),
  /** `/backends/{backend}/circuit-breaker/rules/{rule}`. */
  subject: z.string(),
  eventType: z.enum(breakerEventTypes),
  /** When the breaker opened (the trip) or closed (the trip's end): ISO-8601 UTC. */
  eventTime: z.iso.datetime(),
  data: z.strictObject({
    /** The backend entity whose breaker changed state, as named in APIM. */
    backendName: z.string(),
    /** Each rule's trip length in "hh:mm:ss" (TimeSpan) form. */
    circuitBreaker: z.strictObject({ rules: z.record(z.string(), z.strictObject({ tripDuration: z.string() })) }),
  }),
  /** Event Grid's versions of the data and of the envelope; the data's version is not documented, the emulator says "1". */
  dataVersion: z.string(),
  metadataVersion: z.string(),
  /**
   * Ours, not Event Grid's: the region of the gateway instance whose breaker it was. Each
   * regional instance of APIM keeps its own breaker state, so a verifier must know which one.
   */
  region: z.string(),
});
export type BreakerEvent = z.infer<typeof breakerEventSchema>;
