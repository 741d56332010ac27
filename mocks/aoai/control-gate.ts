import type { IncomingMessage } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';

/** Loopback addresses as a socket reports them: IPv4 127/8, IPv6 ::1, and IPv4-mapped 127/8. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** A host to listen on that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/**
 * The fault control API's door: loopback callers only unless a token is configured; with a
 * token, every caller (loopback included) must present it as `Authorization: Bearer <token>`.
 * The token is compared in constant time and never echoed.
 */
export function controlGate(token: string | undefined): (req: Pick<IncomingMessage, 'headers' | 'socket'>) => Response | undefined {
  // Digests, so that both sides of the constant-time comparison have the same length whatever
  // was presented: comparing lengths first would tell a caller how long the token is.
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  const expected = token ? digest(`Bearer ${token}`) : null;
  return (req) => {
    if (expected) {
      if (timingSafeEqual(digest(String(req.headers.authorization ?? '')), expected)) return undefined;
      return Response.json({ error: 'the control API needs Authorization: Bearer <token>' }, { status: 401 });
    }
    if (isLoopbackAddress(req.socket.remoteAddress ?? '')) return undefined;
    return Response.json({ error: 'the control API answers loopback callers only unless a token is configured' }, { status: 403 });
  };
}
