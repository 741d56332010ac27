import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The gateway benchmark's floor: a reverse proxy built on node:http and nothing else, doing
 * what any node:http gateway must do and no more (buffer the request, forward it over a
 * keep-alive connection, buffer the answer, send it back). No policies, no logs. Whatever the
 * emulator adds beyond this proxy is its own work; what this proxy adds is the price of
 * node:http's server and client on this machine, which no policy change can lower.
 */
export interface NodeProxy {
  url: string;
  close(): Promise<void>;
}

// Connection-level headers a proxy must not pass on (RFC 9110 §7.6.1).
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

export async function startNodeProxy(upstream: string): Promise<NodeProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 2048 });
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    // A stream that fails (a client or the backend gone mid-body) drops the connection, as a
    // proxy would, instead of becoming an unhandled rejection that ends the benchmark.
    const drop = (): void => void res.destroy();
    readAll(req).then((body) => {
      const headers: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (!hopByHop.has(req.rawHeaders[i]!.toLowerCase())) headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      }
      headers.push('host', target.host, 'content-length', String(body.length));
      const forward = request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (answer) => {
        readAll(answer).then((bytes) => {
          const out: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !hopByHop.has(name)) out[name] = value;
          out['content-length'] = String(bytes.length);
          res.writeHead(answer.statusCode ?? 502, out).end(bytes);
        }, drop);
      });
      forward.on('error', () => (res.headersSent ? drop() : res.writeHead(502).end()));
      forward.end(body);
    }, drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
