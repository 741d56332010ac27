import { z } from 'zod';
import type { BreakerEvent } from './breaker-events.ts';
import type { ClientRecord } from './client-record.ts';
import type { FrontDoorEvent } from './front-door-events.ts';
import type { GatewayLogEvidence, LlmLogEvidence } from './gateway-log-rows.ts';
import type { FaultChangeRecord, RequestRecord } from './ledger-record.ts';

/**
 * Everything a run leaves behind that a verifier may judge, all timestamps in epoch
 * milliseconds on the machine's one clock (k6, the fleet, the gateways and the harness run on
 * the same host). The verifiers read only this: whoever produced the evidence (the emulator, or
 * later a real gateway's workspace), a verifier sees the same contracts.
 */

/** A step of the fault timeline as it was really applied (recorded in the journal). */
export const appliedFaultSchema = z.strictObject({
  /** The plan's step id. */
  id: z.string(),
  /** Planned offset from k6's start, seconds. */
  atSeconds: z.number().min(0),
  /** What the step did, in words (e.g. `fleet:status 500`, `region-down`). */
  action: z.string(),
  /** What it was aimed at (a backend, a region). */
  target: z.string(),
  /** Real times the injection and the clearing happened (epoch ms); null if not (yet) applied. */
  appliedAt: z.number().nullable(),
  clearedAt: z.number().nullable(),
  /** What went wrong applying it, if anything. */
  error: z.string().optional(),
});
export type AppliedFault = z.infer<typeof appliedFaultSchema>;

/**
 * The fleet behind the gateway as this run configured it (a scenario's capacity overrides
 * applied): facts about the backends, never expectations of the gateway. Kept apart so that
 * one expectations file holds for every plan, whatever capacity each plan gives the fleet.
 */
export const fleetFactsSchema = z.strictObject({
  /** The deployment the scenario calls; each backend's capacity is this deployment's. */
  deployment: z.string(),
  backends: z.array(z.strictObject({ name: z.string(), region: z.string(), kind: z.enum(['ptu', 'payg']), capacityTpm: z.number().positive() })),
});
export type FleetFacts = z.infer<typeof fleetFactsSchema>;

/** The evidence files, relative to the run folder, for verdicts to cite. */
export interface EvidenceFiles {
  client: string;
  ledger: string;
  gatewayLogs: string;
  llmLogs: string;
  breakerEvents: string;
  frontDoorEvents: string;
  k6Summary: string;
}

/**
 * One run's evidence as the verifiers receive it. Not a file of its own (so no schema): each
 * part is read from its file and checked against its own contract (harness/evidence).
 */
export interface RunEvidence {
  /** k6's start and end, epoch ms. */
  window: { start: number; end: number };
  /** The fleet's backends and their capacities in this run; null when the run did not know its fleet. */
  fleet: FleetFacts | null;
  client: ClientRecord[];
  ledger: RequestRecord[];
  faultChanges: FaultChangeRecord[];
  /** The gateway's ApiManagementGatewayLogs rows, checked whole, their judged columns kept. */
  gatewayLogs: GatewayLogEvidence[];
  /** The ApiManagementGatewayLlmLog rows, checked whole, their judged columns kept. */
  llmLogs: LlmLogEvidence[];
  /** Circuit breaker events (Event Grid shape, with the region of the instance that tripped). */
  breakerEvents: BreakerEvent[];
  frontDoorEvents: FrontDoorEvent[];
  timeline: AppliedFault[];
  files: EvidenceFiles;
}
