/**
 * A small typed client over Toxiproxy's HTTP API (v2.12.0, Shopify/toxiproxy README "HTTP API"):
 * POST /proxies, POST /proxies/{proxy} (enable/disable), POST /proxies/{proxy}/toxics,
 * DELETE /proxies/{proxy}/toxics/{toxic}, POST /reset. Every error names the proxy and the toxic
 * and quotes Toxiproxy's own `{"error": ...}` answer.
 *
 * Plain fetch rather than toxiproxy-node-client (npm, maintained, 4.x): the harness uses five
 * calls, wants errors that name the proxy and the toxic, and a dependency (with its own HTTP
 * library) for five requests is more to keep than the requests themselves.
 */

export type ToxicStream = 'upstream' | 'downstream';

/** A toxic in Toxiproxy's own terms: type and attributes as its API names them. */
export type ToxicSpec =
  | { type: 'latency'; attributes: { latency: number; jitter: number } }
  | { type: 'bandwidth'; attributes: { rate: number } }
  | { type: 'timeout'; attributes: { timeout: number } }
  | { type: 'reset_peer'; attributes: { timeout: number } }
  | { type: 'slicer'; attributes: { average_size: number; size_variation: number; delay: number } }
  | { type: 'limit_data'; attributes: { bytes: number } }
  | { type: 'slow_close'; attributes: { delay: number } };

export interface ToxicRequest {
  name: string;
  stream: ToxicStream;
  toxicity: number;
  toxic: ToxicSpec;
}

export interface ProxyInfo {
  name: string;
  /** host:port it listens on (the real port when created with :0). */
  listen: string;
  upstream: string;
  enabled: boolean;
}

export class ToxiproxyError extends Error {}

/** Whether a Toxiproxy API answers at apiUrl (its /version), within a second: how a start waits for it. */
export async function toxiproxyAnswers(apiUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${apiUrl}/version`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export interface ToxiproxyClient {
  readonly apiUrl: string;
  version(): Promise<string>;
  /** Creates a proxy; `listen` may end in :0 for a free port (the answer says which). */
  createProxy(proxy: { name: string; listen: string; upstream: string }): Promise<ProxyInfo>;
  setEnabled(proxy: string, enabled: boolean): Promise<ProxyInfo>;
  addToxic(proxy: string, toxic: ToxicRequest): Promise<void>;
  removeToxic(proxy: string, toxic: string): Promise<void>;
  /** Enables every proxy and removes every toxic. */
  reset(): Promise<void>;
}

export function toxiproxyClient(apiUrl: string): ToxiproxyClient {
  const base = apiUrl.replace(/\/+$/, '');
  const call = async (what: string, method: string, path: string, body?: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new ToxiproxyError(`Toxiproxy at ${base}: ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.trim();
      try {
        detail = String((JSON.parse(text) as { error?: unknown }).error ?? detail);
      } catch {
        // Not JSON: quoted as it came.
      }
      throw new ToxiproxyError(`Toxiproxy at ${base}: ${what}: HTTP ${response.status} ${detail}`);
    }
    return text === '' ? null : (JSON.parse(text) as unknown);
  };
  const proxyInfo = (value: unknown): ProxyInfo => {
    const { name, listen, upstream, enabled } = value as ProxyInfo;
    return { name, listen, upstream, enabled };
  };
  return {
    apiUrl: base,
    async version() {
      return String(((await call('version', 'GET', '/version')) as { version?: unknown }).version);
    },
    async createProxy(proxy) {
      return proxyInfo(await call(`creating proxy "${proxy.name}" (${proxy.listen} → ${proxy.upstream})`, 'POST', '/proxies', { ...proxy, enabled: true }));
    },
    async setEnabled(proxy, enabled) {
      return proxyInfo(await call(`${enabled ? 'enabling' : 'disabling'} proxy "${proxy}"`, 'POST', `/proxies/${encodeURIComponent(proxy)}`, { enabled }));
    },
    async addToxic(proxy, request) {
      await call(`adding toxic "${request.name}" (${request.toxic.type}, ${request.stream}) to proxy "${proxy}"`, 'POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, {
        name: request.name,
        type: request.toxic.type,
        stream: request.stream,
        toxicity: request.toxicity,
        attributes: request.toxic.attributes,
      });
    },
    async removeToxic(proxy, toxic) {
      await call(`removing toxic "${toxic}" from proxy "${proxy}"`, 'DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
    },
    async reset() {
      await call('reset', 'POST', '/reset');
    },
  };
}
