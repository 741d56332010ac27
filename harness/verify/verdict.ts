/**
 * What a verifier concludes. A check is real only if a gateway broken in exactly the way it
 * checks for makes it fail; `inconclusive` is for runs that did not produce the evidence the
 * check needs (too little traffic, a fault that never applied), never for a soft failure.
 */
export type VerdictStatus = 'pass' | 'fail' | 'inconclusive';

export interface EvidenceRef {
  /** File in the run folder. */
  file: string;
  /** What in it decided the verdict, in words. */
  description: string;
  /** Ledger sequence numbers or log CorrelationIds, a few examples at most. */
  examples?: (number | string)[];
  /** Epoch ms range the evidence covers. */
  timeRange?: [number, number];
}

export interface Verdict {
  check: string;
  status: VerdictStatus;
  expected: string;
  measured: string;
  tolerance: string;
  /** A sentence a person can act on: what happened and where to look. */
  explanation: string;
  evidence: EvidenceRef[];
}
