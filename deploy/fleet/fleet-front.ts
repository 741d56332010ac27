import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlGate } from '../../mocks/aoai/control-gate.ts';
import { fleetDescriptionSchema, type FleetDescription } from '../../harness/contracts/fleet-description.ts';

/**
 * The fleet's one public port, for hosts that give a container a single HTTP port (Azure
 * Container Apps without a custom VNet: additional ports there are TCP only and external ones
 * need a VNet). Every backend of the fleet and its control API answer behind it, by path:
 *
 *   /backends/<backend>/<rest>  ->  that backend's listener, as /<rest>  (what APIM's backends call)
 *   anything else               ->  the control API, unchanged            (/health, /fleet, /faults, /ledger, /stats)
 *
 * Requests and answers go through unchanged and unbuffered (streams stay streams), so each
 * backend still records in the ledger exactly what it received. Two things differ from a
 * fleet reached directly, and both are said in docs/real-apim.md:
 * - the control API's description (`GET /fleet`) names the public URLs, so that a saved
 *   description is what `spillway run --fleet` and APIM's backends reach;
 * - a backend that resets or refuses connections (the `reset` and `refuse` faults) can only
 *   be passed on as a dropped connection to the front's caller; behind Container Apps' ingress
 *   the gateway then sees the ingress's 502/503 answer instead of a TCP failure.
 *
 * The control API is gated here too, with the same token and the same constant-time check:
 * the front reaches the control API from loopback, which the control API trusts when it has no
 * token, so the front must not depend on the fleet having been given one.
 */

export const backendPathPrefix = '/backends/';

/** The URL APIM's backend entity for `backend` points at (plus `/openai` for the Azure OpenAI API's path). */
export function publicBackendEndpoint(publicBase: string, backend: string): string {
  return `${publicBase}${backendPathPrefix}${backend}`;
}

export type FrontRoute = { kind: 'backend'; backend: string; path: string } | { kind: 'control'; path: string };

/** Where a request target (path and query) goes. */
export function routeOf(target: string): FrontRoute {
  if (!target.startsWith(backendPathPrefix)) return { kind: 'control', path: target };
  const rest = target.slice(backendPathPrefix.length);
  const end = rest.search(/[/?]/);
  const backend = end === -1 ? rest : rest.slice(0, end);
  const after = end === -1 ? '' : rest.slice(end);
  return { kind: 'backend', backend, path: after.startsWith('/') ? after : `/${after}` };
}

/** The fleet as the outside sees it: every listener behind `publicBase`. */
export function publicDescription(internal: FleetDescription, publicBase: string): FleetDescription {
  return {
    ...internal,
    backends: internal.backends.map((backend) => ({ ...backend, endpoint: publicBackendEndpoint(publicBase, backend.name) })),
    control: publicBase,
  };
}

export interface FleetFrontOptions {
  /** The fleet as it describes itself inside the container (`spillway fleet up --json`). */
  internal: FleetDescription;
  token: string;
  /** The origin callers reach the front at; null: taken from each request's Host and X-Forwarded-Proto. */
  publicUrl: string | null;
  host: string;
  port: number;
}

export interface FleetFront {
  /** Where the front listens, e.g. http://0.0.0.0:8080. */
  readonly origin: string;
  /** The description with the public URL, or with this listener's origin when none is configured. */
  describe(): FleetDescription;
  close(): Promise<void>;
}

/** Connection-level headers belong to one hop (RFC 9110 7.6.1) and are not passed on. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name) && !named.includes(name)) out[name] = value;
  }
  return out;
}

export async function startFleetFront(options: FleetFrontOptions): Promise<FleetFront> {
  const backends = new Map(options.internal.backends.map((backend) => [backend.name, new URL(backend.endpoint)]));
  const control = new URL(options.internal.control);
  const gate = controlGate(options.token);
  // Kept-alive connections to the listeners inside the container: a new TCP handshake per
  // request would add the front's own latency to every answer the ledger times.
  const agent = new Agent({ keepAlive: true });
  let origin = '';

  const baseFor = (req: IncomingMessage): string => {
    if (options.publicUrl !== null) return options.publicUrl;
    const forwarded = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim();
    const scheme = forwarded === 'https' || forwarded === 'http' ? forwarded : 'http';
    const url = URL.parse(`${scheme}://${req.headers.host ?? ''}`);
    return url && url.host !== '' && url.pathname === '/' ? url.origin : origin;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, target: URL, path: string, rewrite?: (body: Buffer) => Buffer | null): void => {
    const upstream = httpRequest({ agent, host: target.hostname, port: target.port, method: req.method, path, headers: endToEnd(req.headers) });
    // The caller went away before the answer was complete: the backend must see it go too
    // (its ledger records a 499), not keep working for nobody.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    // A listener that refused or reset the connection: drop the caller's connection the same
    // way rather than inventing an HTTP answer the backend never gave.
    upstream.on('error', () => res.destroy());
    upstream.on('response', (answer) => {
      answer.on('aborted', () => res.destroy());
      answer.on('error', () => res.destroy());
      if (rewrite && answer.statusCode === 200) {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = rewrite(Buffer.concat(chunks));
          if (body === null) {
            res.destroy();
            return;
          }
          const headers = endToEnd(answer.headers);
          headers['content-length'] = body.length;
          res.writeHead(200, headers).end(body);
        });
        return;
      }
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    });
    req.pipe(upstream);
  };

  const refuse = async (res: ServerResponse, answer: Response): Promise<void> => {
    const body = Buffer.from(await answer.text());
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json', 'content-length': body.length }).end(body);
  };

  const server = createServer((req, res) => {
    const route = routeOf(req.url ?? '/');
    if (route.kind === 'backend') {
      const target = backends.get(route.backend);
      if (!target) {
        void refuse(res, Response.json({ error: `no backend named "${route.backend}" behind ${backendPathPrefix} (the fleet has ${[...backends.keys()].join(', ')})` }, { status: 404 }));
        return;
      }
      forward(req, res, target, route.path);
      return;
    }
    const refusal = gate(req);
    if (refusal) {
      void refuse(res, refusal);
      return;
    }
    const isDescription = req.method === 'GET' && /^\/fleet\/?(?:\?|$)/.test(route.path);
    const base = baseFor(req);
    forward(req, res, control, route.path, isDescription ? (body) => publicDescriptionBody(body, base) : undefined);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    origin,
    describe: () => publicDescription(options.internal, options.publicUrl ?? origin),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}

/**
 * The control API's description with the public URLs; null (the caller's connection is dropped,
 * and stderr says why) when it is not a fleet description: passing the internal loopback URLs on
 * would hand the caller endpoints it cannot reach, which is worse than no answer.
 */
function publicDescriptionBody(body: Buffer, base: string): Buffer | null {
  try {
    return Buffer.from(JSON.stringify(publicDescription(fleetDescriptionSchema.parse(JSON.parse(body.toString('utf8'))), base)));
  } catch (error) {
    process.stderr.write(`fleet front: GET /fleet answered something that is not a fleet description (${error instanceof Error ? error.message.split('\n')[0] : String(error)})\n`);
    return null;
  }
}
