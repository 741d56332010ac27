import { randomUUID } from 'node:crypto';

/**
 * Headers every answer carries, success or error, as real Azure OpenAI responses do, plus
 * the fleet's own x-fleet-backend and x-fleet-region so that a client behind a gateway can
 * tell which backend served it.
 */
export function baseResponseHeaders(args: { backend: string; region: string; requestId: string; clientRequestId: string | null }): Headers {
  const headers = new Headers({
    'x-ms-region': args.region,
    'x-request-id': args.requestId,
    'apim-request-id': randomUUID(),
    'x-content-type-options': 'nosniff',
    'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
    'x-fleet-backend': args.backend,
    'x-fleet-region': args.region,
  });
  if (args.clientRequestId) headers.set('x-ms-client-request-id', args.clientRequestId);
  return headers;
}

/** Headers of a successful model answer. */
export function addSuccessHeaders(headers: Headers, args: { upstreamMs: number; stream: boolean }): void {
  headers.set('azureml-model-session', 'd-20261101-fleet');
  headers.set('x-envoy-upstream-service-time', String(Math.round(args.upstreamMs)));
  if (args.stream) {
    headers.set('x-accel-buffering', 'no');
    headers.set('cache-control', 'no-cache');
  }
}
