/**
 * What the front door answers when it cannot get a response from the chosen origin.
 *
 * What the docs say [DOC front-door-troubleshoot-routing / troubleshoot-issues, front-door-diagnostics]:
 * - the only statuses the AFD docs attribute to Front Door itself for origin failures are 503
 *   and 504: 503 for an origin that gives no valid response ("OriginInvalidResponse") and for a
 *   backend that fails the connection's TLS handshake; 504 with "OriginTimeout" when the origin
 *   does not answer within the origin response timeout, default 30 s (16-240 s on
 *   Standard/Premium; older doc versions said 503 for the timeout too);
 * - the access log's ErrorInfo names connection failures `OriginConnectionRefused` ("the
 *   connection with the origin wasn't established"), `OriginConnectionAborted` ("disconnected
 *   abnormally") and `OriginConnectionError` (generic), without giving their HTTP status;
 * - 502 appears nowhere in the AFD docs;
 * - Front Door's own error page reads "Our services aren't available right now".
 *
 * Choices (see docs/frontdoor.md), both configurable through `originErrorStatus`:
 * - connection refused, reset or otherwise failed before the response starts: 503 with that
 *   page, the documented status for Front Door-side origin failures;
 * - origin response timeout: 504.
 * Front Door does not retry on another origin: no doc describes a retry, and the health state
 * changes only through probes [DOC AFD-HP].
 */

export interface OriginErrorStatuses {
  /** Status for a connection that fails before the response starts; default 503. */
  connectionFailure: number;
  /** Status when the origin response timeout elapses first; default 504. */
  timeout: number;
}

export const DEFAULT_ORIGIN_ERROR_STATUSES: OriginErrorStatuses = { connectionFailure: 503, timeout: 504 };

export const DEFAULT_ORIGIN_RESPONSE_TIMEOUT_SECONDS = 30;

export type OriginErrorInfo = 'OriginConnectionRefused' | 'OriginConnectionAborted' | 'OriginConnectionError' | 'OriginTimeout' | 'DNSNameNotResolved';

/** Raised by the front door itself when the origin response timeout elapses. */
export class OriginTimeoutError extends Error {
  constructor(seconds: number) {
    super(`origin did not respond within ${seconds} s`);
    this.name = 'OriginTimeoutError';
  }
}

/** The access-log ErrorInfo name for a failed origin request. */
export function classifyOriginError(error: unknown): OriginErrorInfo {
  if (error instanceof OriginTimeoutError) return 'OriginTimeout';
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'OriginConnectionRefused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'OriginConnectionAborted';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNSNameNotResolved';
    default:
      return 'OriginConnectionError';
  }
}

export function statusForError(info: OriginErrorInfo, statuses: OriginErrorStatuses): number {
  return info === 'OriginTimeout' ? statuses.timeout : statuses.connectionFailure;
}

export function validateStatuses(statuses: OriginErrorStatuses): OriginErrorStatuses {
  for (const [what, status] of Object.entries(statuses)) {
    if (!Number.isInteger(status) || status < 500 || status > 599) throw new RangeError(`originErrorStatus.${what} must be a 5xx status, got ${status}`);
  }
  return statuses;
}

/** Front Door's error page: its wording, our own markup. */
export function errorPage(ref: string): string {
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><title>Our services aren\'t available right now</title></head>',
    '<body>',
    '<h2>Our services aren\'t available right now</h2>',
    '<p>We\'re working to restore all services as soon as possible. Please check back soon.</p>',
    `<p>${ref.replace(/[<>&"]/g, '')}</p>`,
    '</body></html>',
    '',
  ].join('\n');
}
