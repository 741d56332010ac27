import { randomUUID } from 'node:crypto';
import { boundedMemo } from '../shared/bounded-memo.ts';

/**
 * Headers every answer carries, success or error, as real Azure OpenAI responses do, plus
 * the fleet's own x-fleet-backend and x-fleet-region so that a client behind a gateway can
 * tell which backend served it.
 *
 * A plain record with lower-case names, not a Headers object: the Response validates them
 * once when it is built, and the node:http adapter writes a prepared answer's headers as they are
 * (see bufferedResponse), where a Headers object would be validated and copied twice.
 */
export type ResponseHeaders = Record<string, string>;

const outsideLatin1 = /[^\u0000-\u00ff]/;
const lineBreakOrNul = /[\r\n\0]/;
const httpWhitespaceAtEdges = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/** The same values (a region, a deployment name) come by on every request: each is checked once. */
const checkedHeaderValue = boundedMemo((value: string): string => {
  if (outsideLatin1.test(value)) throw new TypeError(`Cannot convert argument to a ByteString: ${JSON.stringify(value)} has a character above U+00FF.`);
  if (lineBreakOrNul.test(value) && lineBreakOrNul.test(value.replace(httpWhitespaceAtEdges, ''))) throw new TypeError(`Invalid header value ${JSON.stringify(value)}.`);
  return value;
});

/**
 * Returns `value`, or throws the TypeError Headers.set throws for it: a character above
 * U+00FF, or a CR, LF or NUL left once surrounding whitespace is trimmed. Values that come
 * from outside (the region from the topology, a deployment name from the URL) are checked
 * where a Headers object used to check them, so that a bad one still fails the request at
 * that point, before anything is recorded, and not later when the Response is built.
 */
export function headerValue(value: string): string {
  return checkedHeaderValue(value);
}

export function baseResponseHeaders(args: { backend: string; region: string; requestId: string; clientRequestId: string | null }): ResponseHeaders {
  const headers: ResponseHeaders = {
    'x-ms-region': headerValue(args.region),
    'x-request-id': args.requestId,
    'apim-request-id': randomUUID(),
    'x-content-type-options': 'nosniff',
    'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
    'x-fleet-backend': args.backend,
    'x-fleet-region': args.region,
  };
  if (args.clientRequestId) headers['x-ms-client-request-id'] = args.clientRequestId;
  return headers;
}

/** Headers of a successful model answer. */
export function addSuccessHeaders(headers: ResponseHeaders, args: { upstreamMs: number; stream: boolean }): void {
  headers['azureml-model-session'] = 'd-20261101-fleet';
  headers['x-envoy-upstream-service-time'] = String(Math.round(args.upstreamMs));
  if (args.stream) {
    headers['x-accel-buffering'] = 'no';
    headers['cache-control'] = 'no-cache';
  }
}
