import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

/** Loopback addresses as a socket reports them: IPv4 127/8, IPv6 ::1, and IPv4-mapped 127/8. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** A host to listen on that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host) || host === '[::1]';
}

/**
 * The fault control API's door: loopback callers only unless a token is configured; with a
 * token, every caller (loopback included) must present it as `Authorization: Bearer <token>`.
 * The token is compared in constant time and never echoed.
 */
export function controlGate(token: string | undefined): (req: Pick<IncomingMessage, 'headers' | 'socket'>) => Response | undefined {
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return (req) => {
    if (expected) {
      const presented = Buffer.from(String(req.headers.authorization ?? ''));
      if (presented.length === expected.length && timingSafeEqual(presented, expected)) return undefined;
      return Response.json({ error: 'the control API needs Authorization: Bearer <token>' }, { status: 401 });
    }
    if (isLoopbackAddress(req.socket.remoteAddress ?? '')) return undefined;
    return Response.json({ error: 'the control API answers loopback callers only unless a token is configured' }, { status: 403 });
  };
}
