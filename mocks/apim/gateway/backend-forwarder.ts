import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Sends one attempt of a request to a backend, as forward-request does. Error answers and
 * JSON bodies are buffered (policies and breakers read them); a successful event stream is
 * handed back unread so the gateway can pass it through token by token.
 */
export interface ForwardAttempt {
  url: URL;
  method: string;
  /**
   * name, value, name, value, ...: the headers to send, without host, content-length and
   * transfer-encoding, which the forwarder sets for the attempt.
   */
  headers: readonly string[];
  body: Buffer | null;
  timeoutMs: number;
  /** Aborts the attempt when the client goes away. */
  signal: AbortSignal;
}

export type ForwardOutcome =
  | { kind: 'buffered'; status: number; headers: IncomingHttpHeaders; body: Buffer; backendTimeMs: number }
  | { kind: 'stream'; status: number; headers: IncomingHttpHeaders; stream: IncomingMessage; backendTimeMs: number }
  | { kind: 'failed'; reason: ForwardFailure; message: string; backendTimeMs: number };

/** Transport failures, named as APIM's LastErrorReason-style reasons. */
export type ForwardFailure = 'BackendConnectionFailure' | 'Timeout' | 'ClientConnectionFailure';

// Keep-alive pools, as the gateway keeps connections to its backends open between requests.
const httpAgent = new Agent({ keepAlive: true, maxSockets: 2048 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 2048 });

export function forwardToBackend(attempt: ForwardAttempt): Promise<ForwardOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: ForwardOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      attempt.signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const { url } = attempt;
    const secure = url.protocol === 'https:';
    const headers = [...attempt.headers, 'host', url.host];
    if (attempt.body) headers.push('content-length', String(attempt.body.length));
    const agent = secure ? httpsAgent : httpAgent;
    // Options rather than the URL, and the headers as a flat list: http.request then neither
    // converts the URL nor sets the headers one by one (it still validates each). A URL with
    // credentials keeps the URL form, for the Authorization header Node derives from them.
    const req =
      url.username || url.password
        ? (secure ? httpsRequest : httpRequest)(url, { method: attempt.method, headers: Object.fromEntries(pairs(headers)), agent })
        : (secure ? httpsRequest : httpRequest)({
            protocol: url.protocol,
            // URL keeps IPv6 literals in brackets; http.request wants the bare address.
            hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
            port: url.port,
            path: `${url.pathname}${url.search}`,
            method: attempt.method,
            headers,
            agent,
          });

    // forward-request's timeout covers the wait for the response headers.
    const timer = setTimeout(() => {
      req.destroy();
      settle({ kind: 'failed', reason: 'Timeout', message: `Request to the backend service timed out after ${attempt.timeoutMs} ms.`, backendTimeMs: elapsed() });
    }, attempt.timeoutMs);
    const onAbort = (): void => {
      req.destroy();
      settle({ kind: 'failed', reason: 'ClientConnectionFailure', message: 'The client closed the connection.', backendTimeMs: elapsed() });
    };
    attempt.signal.addEventListener('abort', onAbort, { once: true });

    req.on('error', (error: NodeJS.ErrnoException) => {
      settle({ kind: 'failed', reason: 'BackendConnectionFailure', message: `Error occured while calling backend service: ${error.code ?? error.message}`, backendTimeMs: elapsed() });
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 502;
      const contentType = String(res.headers['content-type'] ?? '');
      if (status >= 200 && status < 300 && contentType.startsWith('text/event-stream')) {
        settle({ kind: 'stream', status, headers: res.headers, stream: res, backendTimeMs: elapsed() });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => settle({ kind: 'buffered', status, headers: res.headers, body: Buffer.concat(chunks), backendTimeMs: elapsed() }));
      res.on('error', (error: NodeJS.ErrnoException) =>
        settle({ kind: 'failed', reason: 'BackendConnectionFailure', message: `Error occured while reading the backend response: ${error.code ?? error.message}`, backendTimeMs: elapsed() }),
      );
      res.on('aborted', () => settle({ kind: 'failed', reason: 'BackendConnectionFailure', message: 'The backend closed the connection mid-response.', backendTimeMs: elapsed() }));
    });
    req.end(attempt.body ?? undefined);
  });
}

/**
 * Maps Azure OpenAI resource URLs (`https://<resource>.openai.azure.com/...`) onto the local
 * fleet's endpoints by resource name, so a configuration written for Azure runs unchanged
 * against the mock fleet. Other URLs pass through.
 */
export function fleetUrlMapper(endpoints: ReadonlyMap<string, string>): (url: URL) => URL {
  return (url) => {
    const match = /^([a-z0-9-]+)\.openai\.azure\.com$/i.exec(url.hostname);
    const endpoint = match ? endpoints.get(match[1]!.toLowerCase()) : undefined;
    if (!endpoint) return url;
    // The endpoint's own path is kept: a fleet behind one router (the container, deploy/fleet)
    // serves each backend under /backends/<name>, so the request's path goes after it.
    const base = new URL(endpoint);
    return new URL(`${base.pathname.replace(/\/+$/, '')}${url.pathname}${url.search}`, base.origin);
  };
}

/** [name, value] pairs of a flat name, value, ... list. */
function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
