import type { ClientRecord } from '../harness/contracts/client-record.ts';

/**
 * What a report's summary needs of k6's records (report-summary.ts, trafficNumbers): how many
 * there were, every duration in order (for the percentiles), and the errors by who refused.
 * Counted one record at a time, so that it is gathered in whatever pass reads the records first
 * (the HTML charts' tally, through RunFolderEvidence.eachClientRecord) and `spillway report`
 * reads k6's samples file once for all its formats, not once for the charts and again for
 * the summary.
 */
export interface ClientTraffic {
  requests: number;
  /** Every request's duration, ms, ascending. */
  sortedDurationsMs: Float64Array;
  /** Requests that ended in an error status or got no answer (status 0 or >= 400). */
  errors: number;
  /** Errors by who refused: gateway, backend, frontdoor, network (no answer at all), or unattributed; in the order first met. */
  errorsByOrigin: Record<string, number>;
}

export interface ClientTrafficCounter {
  add(record: ClientRecord): void;
  result(): ClientTraffic;
}

export function clientTrafficCounter(): ClientTrafficCounter {
  let requests = 0;
  let durations = new Float64Array(1024);
  let errors = 0;
  const errorsByOrigin: Record<string, number> = {};
  return {
    add(record) {
      if (requests === durations.length) {
        const grown = new Float64Array(durations.length * 2);
        grown.set(durations);
        durations = grown;
      }
      durations[requests++] = record.durationMs;
      if (record.status !== 0 && record.status < 400) return;
      errors++;
      const origin = record.status === 0 ? 'network' : record.errorOrigin === '' ? 'unattributed' : record.errorOrigin;
      errorsByOrigin[origin] = (errorsByOrigin[origin] ?? 0) + 1;
    },
    result() {
      // A typed array sorts numerically, and fast (durations are finite and not negative: the contract's).
      return { requests, sortedDurationsMs: durations.slice(0, requests).sort(), errors, errorsByOrigin: { ...errorsByOrigin } };
    },
  };
}

/** The traffic of records already in memory. */
export function clientTrafficOf(records: Iterable<ClientRecord>): ClientTraffic {
  const counter = clientTrafficCounter();
  for (const record of records) counter.add(record);
  return counter.result();
}
