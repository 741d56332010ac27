import { z } from 'zod';
import { timelineStepSchema } from './scenario-plan.ts';
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
  /**
   * The step as planned, typed by its kind: verifiers read what a step did from here (which
   * region went down, which fault rule was asked for), never from the `action` words.
   */
  step: timelineStepSchema,
  /**
   * What the target really did, when it is less than the step asks (a region-down step against
   * a gateway somebody else runs takes only the fleet's side down). Said before the run starts too.
   */
  scope: z.string().optional(),
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
  /**
   * What went wrong undoing it: the fault may still be in place (on a fleet the run did not
   * start, say), so the run is incomplete rather than judged (harness/run/fault-timeline.ts).
   */
  rollbackError: z.string().optional(),
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

/**
 * The kinds of evidence a run can bring, named as everywhere (RunEvidence's fields, a
 * verifier's needs, a verdict's `sources`): the fleet's ledger (with its fault records), k6's
 * client records, the gateway's ApiManagementGatewayLogs and ApiManagementGatewayLlmLog rows,
 * its circuit breaker events, and the front door's events.
 */
export const evidenceKinds = ['ledger', 'client', 'gatewayLogs', 'llmLogs', 'breakerEvents', 'frontDoorEvents'] as const;
export const evidenceKindSchema = z.enum(evidenceKinds);
export type EvidenceKind = z.infer<typeof evidenceKindSchema>;

/**
 * Where each kind's file sits in a run folder, relative to it: where harness/evidence writes it,
 * and where a report looks when a journal does not say.
 */
export const evidenceFileNames: Readonly<Record<EvidenceKind, string>> = {
  client: 'k6-samples.json',
  ledger: 'fleet-ledger.jsonl',
  gatewayLogs: 'gateway-logs/ApiManagementGatewayLogs.jsonl',
  llmLogs: 'gateway-logs/ApiManagementGatewayLlmLog.jsonl',
  breakerEvents: 'gateway-logs/circuit-breaker-events.jsonl',
  frontDoorEvents: 'gateway-logs/front-door-events.jsonl',
};

/**
 * What became of one kind of evidence in a run: `collected` (its file was read whole);
 * `absent` (this target has no such source: a gateway somebody else wrote keeps no
 * ApiManagementGatewayLogs, a run without a front door has no front door events); `incomplete`
 * (it was read, but is known to miss records: the ledger poller lost some, or the target brought
 * the kind and its file was not written). `note` says why, in words a person can act on.
 */
export const evidenceSourceStatusSchema = z.enum(['collected', 'absent', 'incomplete']);
export type EvidenceSourceStatus = z.infer<typeof evidenceSourceStatusSchema>;
export const evidenceSourceSchema = z.strictObject({ kind: evidenceKindSchema, status: evidenceSourceStatusSchema, note: z.string().optional() });
export type EvidenceSource = z.infer<typeof evidenceSourceSchema>;

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
  /**
   * Every kind of evidence once, with what became of it. A kind that is `absent` has no rows
   * above (nothing was read for it); the verifiers' needs are judged against this list
   * (harness/verify/index.ts), never against whether an array happens to be empty.
   */
  sources: EvidenceSource[];
}
