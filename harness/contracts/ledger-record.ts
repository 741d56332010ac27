import { z } from 'zod';
import { faultRuleSchema } from './fault-rule.ts';

/**
 * The fleet's ledger (fleet-ledger.jsonl, and `GET /ledger` on its control API): one JSON
 * record per line, each either a request the backend saw and answered or a change to the
 * injected faults. The ledger is the ground truth the verifiers rely on: it is written by the
 * mock backends, not by the gateway under test, so a check never has to trust the gateway's
 * own account. Every time is epoch milliseconds on the machine's one clock.
 */

/**
 * Why a backend answered as it did. `fault:<kind>` marks an injected fault, so a verifier
 * can tell a real throttle from one the harness caused.
 */
export const ledgerReasonSchema = z.union([
  z.enum(['ok', 'tpm', 'rpm', 'utilization', 'capacity', 'bad-request', 'unauthorized', 'not-found', 'context-length', 'client-closed']),
  z.templateLiteral(['fault:', z.string()]),
]);
export type LedgerReason = z.infer<typeof ledgerReasonSchema>;

/** PTU (provisioned, utilization-based 429s) or PAYG (standard, TPM and RPM limits). */
export const resourceKindSchema = z.enum(['ptu', 'payg']);

/** One request as the backend saw and answered it: the ground truth that checks rely on. */
export const requestRecordSchema = z.strictObject({
  type: z.literal('request'),
  /** The ledger's own running number, from 1, one per record of either type. */
  seq: z.int().positive(),
  /** Epoch milliseconds: arrival, response headers sent (null when none were), last byte sent. */
  start: z.number(),
  firstByte: z.number().nullable(),
  end: z.number(),
  /** The fleet resource that answered (its name in the topology, e.g. aoai-eastus-ptu1). */
  backend: z.string(),
  region: z.string(),
  kind: resourceKindSchema,
  deployment: z.string(),
  operation: z.enum(['chat', 'completions', 'embeddings', 'unknown']),
  stream: z.boolean(),
  /** The status the backend answered, or the one it would have sent when the client left first. */
  status: z.int(),
  reason: ledgerReasonSchema,
  promptTokens: z.int().min(0),
  completionTokens: z.int().min(0),
  /** The token cost the limiter charged at admission (PTU estimate or PAYG estimate). */
  admissionCost: z.number().min(0),
  /** The X-Priority header as received, if any. */
  priority: z.string().nullable(),
  /** A non-secret subscription identifier header, if the gateway sent one. */
  subscription: z.string().nullable(),
  /** sha256 prefix of an Ocp-Apim-Subscription-Key that reached the backend: the key itself is a secret. */
  subscriptionKeyFingerprint: z.string().nullable(),
  auth: z.enum(['api-key', 'bearer', 'none']),
  correlationId: z.string().nullable(),
  requestId: z.string(),
  apiVersion: z.string().nullable(),
  /**
   * The ids of the injected fault rules that fired on this request (see the `fault` records),
   * present only when one did. A latency or slow-stream fault leaves the reason `ok`: this is
   * what ties such a request to the fault.
   */
  faults: z.array(z.string()).optional(),
});
export type RequestRecord = z.infer<typeof requestRecordSchema>;

/** A change to the injected faults, so the timeline of a run can be rebuilt from the ledger. */
export const faultChangeRecordSchema = z.strictObject({
  type: z.literal('fault'),
  seq: z.int().positive(),
  /** Epoch ms the change took effect (for `expire`: when the fleet noticed the rule's end). */
  at: z.number(),
  action: z.enum(['inject', 'clear', 'expire']),
  rule: faultRuleSchema,
});
export type FaultChangeRecord = z.infer<typeof faultChangeRecordSchema>;

export const ledgerRecordSchema = z.discriminatedUnion('type', [requestRecordSchema, faultChangeRecordSchema]);
export type LedgerRecord = z.infer<typeof ledgerRecordSchema>;
