/**
 * The verdict is a contract (harness/contracts/verdict.ts: its schema, and what each field
 * means); re-exported here because every verifier names it.
 */
export type { EvidenceRef, Verdict, VerdictStatus } from '../contracts/verdict.ts';
