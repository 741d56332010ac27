import type { StepOf } from '../contracts/scenario-plan.ts';
import { startToxiproxyServer, type ToxiproxyServer } from './toxiproxy-server.ts';
import { toxiproxyClient, type ProxyInfo, type ToxiproxyClient } from './toxiproxy-client.ts';

/**
 * The TCP links of an embedded topology that a `network` step can break, each through its own
 * Toxiproxy proxy: gateway → each fleet backend (`backend-<name>`), and front door (or k6, when
 * the plan enters at the primary region) → each regional gateway (`gateway-<region>`). The
 * gateways are handed the backend proxies as the fleet's endpoints, and the front door the
 * gateway proxies as its origins, so every byte on those links passes through Toxiproxy.
 */
export type NetworkLink = StepOf<'network'>['link'];

export interface NetworkLinks {
  readonly toxiproxy: ToxiproxyClient;
  /** Backend name → the proxy's URL, for the gateways' fleetEndpoints. */
  readonly backendEndpoints: ReadonlyMap<string, string>;
  /** Puts a proxy in front of a region's gateway; resolves to the URL to reach it through. */
  proxyGateway(region: string, url: string): Promise<string>;
  /** The proxies a step's link maps to; throws naming the link when it maps to none. */
  proxiesFor(link: NetworkLink): string[];
  /** Every proxy as created (name, where it listens, its upstream). */
  describe(): ProxyInfo[];
  close(): Promise<void>;
}

export interface LinkBackend {
  name: string;
  region: string;
  endpoint: string;
}

/** Toxiproxy proxy names appear in its URL paths: lower-case letters, digits and dashes only. */
function slug(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
export const backendProxyName = (backend: string): string => `backend-${slug(backend)}`;
export const gatewayProxyName = (region: string): string => `gateway-${slug(region)}`;

/**
 * The proxy names a link maps to among these backends and gateway regions (backend names match
 * exactly and regions ignoring case, as the fleet's fault rules and the gateway do); empty when
 * the link names nothing there.
 */
export function linkProxyNames(link: NetworkLink, backends: readonly { name: string; region: string }[], gatewayRegions: readonly string[]): string[] {
  switch (link.to) {
    case 'backend':
      return backends.filter((b) => b.name === link.backend).map((b) => backendProxyName(b.name));
    case 'region-backends':
      return backends.filter((b) => b.region.toLowerCase() === link.region.toLowerCase()).map((b) => backendProxyName(b.name));
    case 'gateway':
      return gatewayRegions.filter((r) => r.toLowerCase() === link.region.toLowerCase()).map(gatewayProxyName);
  }
}

function hostPort(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol === 'https:' ? '443' : '80')}`;
}

/** The URL with its host and port swapped for the proxy's (path kept: a fleet behind one router serves each backend under a path). */
function through(url: string, proxy: ProxyInfo): string {
  const parsed = new URL(url);
  const [host, port] = [proxy.listen.slice(0, proxy.listen.lastIndexOf(':')), proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1)];
  parsed.hostname = host;
  parsed.port = port;
  return parsed.toString().replace(/\/$/, '');
}

/** Starts toxiproxy-server and a proxy in front of every backend; nothing is left running on failure. */
export async function startNetworkLinks(args: { binary: string; backends: readonly LinkBackend[]; startServer?: () => Promise<ToxiproxyServer> }): Promise<NetworkLinks> {
  // A process by default; in a container when the run's runtime is one (harness/containers).
  const server: ToxiproxyServer = await (args.startServer ? args.startServer() : startToxiproxyServer({ binary: args.binary }));
  const toxiproxy = toxiproxyClient(server.apiUrl);
  const proxies: ProxyInfo[] = [];
  const gatewayRegions: string[] = [];
  const gatewayUrls = new Map<string, string>();
  const backendEndpoints = new Map<string, string>();
  try {
    for (const backend of args.backends) {
      const proxy = await toxiproxy.createProxy({ name: backendProxyName(backend.name), listen: '127.0.0.1:0', upstream: hostPort(backend.endpoint) });
      proxies.push(proxy);
      backendEndpoints.set(backend.name, through(backend.endpoint, proxy));
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    toxiproxy,
    backendEndpoints,
    async proxyGateway(region, url) {
      // One proxy per gateway: the front door and k6 (entering at the primary) share it.
      const known = gatewayUrls.get(region);
      if (known !== undefined) return known;
      const proxy = await toxiproxy.createProxy({ name: gatewayProxyName(region), listen: '127.0.0.1:0', upstream: hostPort(url) });
      proxies.push(proxy);
      gatewayRegions.push(region);
      gatewayUrls.set(region, through(url, proxy));
      return gatewayUrls.get(region)!;
    },
    proxiesFor(link) {
      const names = linkProxyNames(link, args.backends, gatewayRegions);
      if (names.length === 0) throw new Error(`no Toxiproxy proxy on the link ${JSON.stringify(link)} (proxies: ${proxies.map((p) => p.name).join(', ')})`);
      return names;
    },
    describe: () => proxies.map((p) => ({ ...p })),
    close: () => server.stop(),
  };
}
