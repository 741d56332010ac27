/**
 * The events the front door logs (callback, JSONL file, in-memory list) are a contract shared
 * with the harness's evidence reader and the failover verifier: harness/contracts/front-door-events.ts,
 * with the schema each event must pass and what each field means.
 */
export type { FrontDoorEvent, HealthEvent, ProbeEvent, ProberEvent, RequestEvent } from '../../harness/contracts/front-door-events.ts';
