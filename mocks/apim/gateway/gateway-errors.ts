/**
 * The answers the gateway itself gives (not the backend's), in APIM's shape
 * `{ "statusCode": N, "message": "..." }`. Where the research found the real wording it is
 * used; the rest is marked as ours in docs/apim-emulator.md.
 */
export interface GatewayError {
  status: number;
  reason: string;
  message: string;
  headers?: Record<string, string>;
}

export const gatewayErrors = {
  noApi: (): GatewayError => ({ status: 404, reason: 'Resource Not Found', message: 'Resource not found' }),
  noOperation: (): GatewayError => ({ status: 404, reason: 'Resource Not Found', message: 'Resource not found' }),
  missingKey: (): GatewayError => ({
    status: 401,
    reason: 'Access Denied',
    message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
  }),
  invalidKey: (): GatewayError => ({
    status: 401,
    reason: 'Access Denied',
    message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
  }),
  rateLimited: (retryAfterSeconds: number): GatewayError => ({ status: 429, reason: 'Too Many Requests', message: `Rate limit is exceeded. Try again in ${retryAfterSeconds} seconds.` }),
  quotaExceeded: (retryAfterSeconds: number | undefined): GatewayError => ({
    status: 403,
    reason: 'Forbidden',
    message: retryAfterSeconds === undefined ? 'Out of call volume quota.' : `Out of call volume quota. Quota will be replenished in ${hms(retryAfterSeconds)}.`,
  }),
  tokenRateLimited: (retryAfterSeconds: number): GatewayError => ({ status: 429, reason: 'Too Many Requests', message: `Token limit is exceeded. Try again in ${retryAfterSeconds} seconds.` }),
  tokenQuotaExceeded: (retryAfterSeconds: number): GatewayError => ({ status: 403, reason: 'Forbidden', message: `Token quota is exceeded. Try again in ${hms(retryAfterSeconds)}.` }),
  poolExhausted: (): GatewayError => ({ status: 503, reason: 'Service Unavailable', message: 'Backend pool is temporarily unavailable: every member is tripped by its circuit breaker.' }),
  internal: (): GatewayError => ({ status: 500, reason: 'Internal Server Error', message: 'Internal server error' }),
  backendTimeout: (): GatewayError => ({ status: 504, reason: 'Gateway Timeout', message: 'Backend did not respond in time.' }),
};

function hms(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
}

export function gatewayErrorBody(error: GatewayError): Buffer {
  return Buffer.from(JSON.stringify({ statusCode: error.status, message: error.message }));
}
