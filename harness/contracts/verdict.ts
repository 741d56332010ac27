import { z } from 'zod';
import { evidenceKindSchema } from './evidence.ts';

/**
 * What a verifier concludes. A check is real only if a gateway broken in exactly the way it
 * checks for makes it fail; `inconclusive` is for runs that did not produce the evidence the
 * check needs (too little traffic, a fault that never applied), never for a soft failure.
 */
export const verdictStatusSchema = z.enum(['pass', 'fail', 'inconclusive']);
export type VerdictStatus = z.infer<typeof verdictStatusSchema>;

export const evidenceRefSchema = z.strictObject({
  /** File in the run folder. */
  file: z.string(),
  /** What in it decided the verdict, in words. */
  description: z.string(),
  /** Ledger sequence numbers or log CorrelationIds, a few examples at most. */
  examples: z.array(z.union([z.number(), z.string()])).optional(),
  /** Epoch ms range the evidence covers. */
  timeRange: z.tuple([z.number(), z.number()]).optional(),
});
export type EvidenceRef = z.infer<typeof evidenceRefSchema>;

export const verdictSchema = z.strictObject({
  /** The check's name: `<verifier>.<check>` for a verifier's (e.g. circuit-breaker.trip-duration), `k6 threshold <metric>` for a k6 threshold. */
  check: z.string().min(1),
  status: verdictStatusSchema,
  expected: z.string(),
  measured: z.string(),
  tolerance: z.string(),
  /** A sentence a person can act on: what happened and where to look. */
  explanation: z.string(),
  evidence: z.array(evidenceRefSchema),
  /**
   * The kinds of evidence the verdict was decided from: its verifier's needs, plus those of its
   * optional kinds the run collected whole and that held rows (harness/verify/index.ts). Set on
   * every verifier's verdict; absent on a verdict no verifier gave (a k6 threshold) and in
   * journals written before it existed.
   */
  sources: z.array(evidenceKindSchema).optional(),
});
export type Verdict = z.infer<typeof verdictSchema>;
