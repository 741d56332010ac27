import { isIP } from 'node:net';
import type { IpRange } from '../policy/policy-ast.ts';

/**
 * ip-filter's decision. Addresses are compared numerically, so "10.0.0.1" matches an IPv4
 * caller that Node reports as "::ffff:10.0.0.1" (a dual-stack listener's form).
 */
export function ipAllowed(caller: string, action: 'allow' | 'forbid', addresses: readonly string[], ranges: readonly IpRange[]): boolean {
  const ip = toNumber(caller);
  const listed =
    ip !== null &&
    (addresses.some((address) => toNumber(address) === ip) ||
      ranges.some((range) => {
        const from = toNumber(range.from);
        const to = toNumber(range.to);
        return from !== null && to !== null && ip >= from && ip <= to;
      }));
  return action === 'allow' ? listed : !listed;
}

/** IPv4 as 0..2^32-1 and IPv6 as 2^32 + its 128-bit value, so the two never collide; IPv4-mapped IPv6 becomes IPv4. */
export function toNumber(address: string): bigint | null {
  const text = address.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  const family = isIP(text);
  if (family === 4) return text.split('.').reduce((sum, part) => (sum << 8n) + BigInt(Number(part)), 0n);
  if (family !== 6) return null;
  const [head = '', tail = ''] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = text.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = text.includes('::') ? [...headParts, ...new Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts] : headParts;
  return (1n << 128n) + groups.reduce((sum, group) => (sum << 16n) + BigInt(Number.parseInt(group || '0', 16)), 0n);
}
