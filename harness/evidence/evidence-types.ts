/**
 * The evidence a verifier judges is a contract (harness/contracts/evidence.ts and the files
 * beside it, each with its schema); re-exported here for the harness's own modules.
 */
export type { AppliedFault, EvidenceFiles, EvidenceKind, EvidenceSource, FleetFacts, RunEvidence } from '../contracts/evidence.ts';
export type { ClientRecord } from '../contracts/client-record.ts';
