/**
 * The events the front door logs (callback, JSONL file, in-memory list). Every event carries
 * `time`, an ISO timestamp from the front door's clock.
 */
import type { ProbeMethod } from './front-door-config.ts';
import type { SelectionMode } from './origin-selection.ts';

/** One health probe and its outcome: success only for a complete 200 response [DOC AFD-HP]. */
export interface ProbeEvent {
  type: 'probe';
  time: string;
  origin: string;
  method: ProbeMethod;
  path: string;
  success: boolean;
  /** The response status, when a response started. */
  status?: number;
  /** Why no valid response arrived: `timeout`, an errno code such as `ECONNREFUSED`, or a message. */
  error?: string;
  durationMs: number;
}

/** An origin changed state because of the probe result logged just before it. */
export interface HealthEvent {
  type: 'health';
  time: string;
  origin: string;
  healthy: boolean;
  successes: number;
  sampleSize: number;
}

/**
 * One client request, logged when its exchange ends. `errorInfo` borrows the names of the AFD
 * access log's ErrorInfo field (NoError, OriginConnectionRefused, OriginConnectionAborted,
 * OriginConnectionError, OriginTimeout, DNSNameNotResolved, ClientDisconnected); `NoEnabledOrigin`
 * is ours, for a front door whose origins are all disabled.
 */
export interface RequestEvent {
  type: 'request';
  time: string;
  ref: string;
  method: string;
  path: string;
  /** The origin chosen; absent when none was enabled. */
  origin?: string;
  selection?: SelectionMode;
  /** The status sent to the client; absent when the client left before any status was sent. */
  status?: number;
  originStatus?: number;
  errorInfo: string;
  durationMs: number;
}

export type ProberEvent = ProbeEvent | HealthEvent;
export type FrontDoorEvent = ProbeEvent | HealthEvent | RequestEvent;
