/**
 * The headers the front door sends to an origin and back to the client.
 *
 * Documented behaviour this follows [DOC front-door-http-headers-protocol]:
 * - client to origin: most headers pass unchanged; reserved headers with the `X-FD-` prefix are
 *   removed. Front Door adds `Via: <client HTTP version> Azure`, `X-Azure-ClientIP`,
 *   `X-Azure-SocketIP`, `X-Azure-Ref`, `X-Azure-RequestChain`, `X-Azure-FDID`; appends the socket
 *   IP to `X-Forwarded-For` (or sets it); overrides `X-Forwarded-Host` with the client's Host and
 *   `X-Forwarded-Proto` with the client's protocol;
 * - origin to client: every origin header passes through, and `X-Azure-Ref` is attached to all
 *   responses. With `X-Azure-DebugInfo: 1` on the request, `X-Azure-OriginStatusCode` is added.
 *
 * Our additions and choices (see docs/frontdoor.md):
 * - `x-fd-origin` names the origin that served the response (not an AFD header), so a client
 *   or a test can tell where a request went;
 * - hop-by-hop headers (RFC 9110 §7.6.1: Connection and the headers it lists, Keep-Alive,
 *   Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade) are not forwarded in either
 *   direction: each side's connection is its own, and node re-frames the body;
 * - `X-Azure-RequestChain` counts hops: `hops=n` on the way in becomes `hops=n+1`.
 */
import type { OutgoingHttpHeaders } from 'node:http';

export const ORIGIN_HEADER = 'x-fd-origin';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export interface OriginRequestContext {
  /** The client's Host header, if any. */
  clientHost: string | undefined;
  /** The client's socket address. */
  socketIp: string;
  /** The client's HTTP version, e.g. `1.1`. */
  httpVersion: string;
  /** `http` or `https`: how the client reached the front door. */
  clientProtocol: string;
  ref: string;
  frontDoorId: string;
  /** Host header for the origin; undefined passes the client's Host through. */
  hostHeader: string | undefined;
}

export interface ClientResponseContext {
  ref: string;
  origin: string;
  originStatus: number;
  /** The client sent `X-Azure-DebugInfo: 1`. */
  debug: boolean;
}

/** Pairs of a raw header list (`rawHeaders`), names lower-cased, hop-by-hop ones removed. */
function endToEnd(rawHeaders: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const listedInConnection = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === 'connection') for (const token of value.split(',')) listedInConnection.add(token.trim().toLowerCase());
    pairs.push([name, value]);
  }
  return pairs.filter(([name]) => !HOP_BY_HOP.has(name) && !listedInConnection.has(name));
}

function collect(pairs: ReadonlyArray<[string, string]>): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of pairs) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [String(existing), value];
  }
  return headers;
}

export function originRequestHeaders(rawHeaders: readonly string[], context: OriginRequestContext): OutgoingHttpHeaders {
  const pairs = endToEnd(rawHeaders).filter(([name]) => !name.startsWith('x-fd-'));
  const incoming = collect(pairs);
  const joined = (name: string): string | undefined => {
    const value = incoming[name];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  };

  const hops = /hops=(\d+)/i.exec(joined('x-azure-requestchain') ?? '');
  const via = `${context.httpVersion} Azure`;
  const priorVia = joined('via');
  const priorXff = joined('x-forwarded-for');
  const host = context.hostHeader ?? context.clientHost;

  const headers = collect(
    pairs.filter(([name]) => !['host', 'via', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'].includes(name) && !name.startsWith('x-azure-')),
  );
  if (host !== undefined) headers.host = host;
  headers.via = priorVia === undefined ? via : `${priorVia}, ${via}`;
  headers['x-azure-clientip'] = context.socketIp;
  headers['x-azure-socketip'] = context.socketIp;
  headers['x-azure-ref'] = context.ref;
  headers['x-azure-requestchain'] = `hops=${hops === null ? 1 : Number(hops[1]) + 1}`;
  headers['x-azure-fdid'] = context.frontDoorId;
  headers['x-forwarded-for'] = priorXff === undefined ? context.socketIp : `${priorXff}, ${context.socketIp}`;
  if (context.clientHost !== undefined) headers['x-forwarded-host'] = context.clientHost;
  headers['x-forwarded-proto'] = context.clientProtocol;
  return headers;
}

export function clientResponseHeaders(rawHeaders: readonly string[], context: ClientResponseContext): OutgoingHttpHeaders {
  const headers = collect(endToEnd(rawHeaders).filter(([name]) => name !== 'x-azure-ref' && name !== ORIGIN_HEADER));
  headers['x-azure-ref'] = context.ref;
  headers[ORIGIN_HEADER] = context.origin;
  if (context.debug) headers['x-azure-originstatuscode'] = String(context.originStatus);
  return headers;
}

/** The client asked for AFD's optional debug response headers. */
export function wantsDebugInfo(headerValue: string | string[] | undefined): boolean {
  const value = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  return value?.trim() === '1';
}
