import { describe, expect, it } from 'vitest';
import { k6RequestSampleSchema, k6TimeEpochMs, toClientRecord } from './client-record.ts';

/**
 * k6TimeEpochMs reads k6's sample times without Date.parse (a long run has a million of them):
 * it must give Date.parse's value on every time it accepts, and accept nothing outside k6's
 * layout (RFC 3339 with seconds, a fraction of 1-9 digits or none, Z or ±HH:MM; a day that
 * exists): the quick row check (reports/fast-row-checks.ts) vouches for a row on its word.
 */

/** k6's layout as a pattern, as the quick row check had it before k6TimeEpochMs: the reference. */
const k6Layout = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const dayExists = (time: string): boolean => {
  const [year, month, day] = [Number(time.slice(0, 4)), Number(time.slice(5, 7)), Number(time.slice(8, 10))];
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
};

/** A small deterministic generator (mulberry32), so a failure names a time that can be tried again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function validTimes(count: number, next: () => number): string[] {
  const pick = (n: number): number => Math.floor(next() * n);
  return Array.from({ length: count }, () => {
    const date = new Date(Date.UTC(1970 + pick(100), pick(12), 1 + pick(31)));
    const fraction = pick(4) === 0 ? '' : `.${Array.from({ length: 1 + pick(9) }, () => pick(10)).join('')}`;
    const offset = pick(3) === 0 ? 'Z' : `${pick(2) === 0 ? '+' : '-'}${pad(pick(24), 2)}:${pad(pick(60), 2)}`;
    return `${date.toISOString().slice(0, 10)}T${pad(pick(24), 2)}:${pad(pick(60), 2)}:${pad(pick(60), 2)}${fraction}${offset}`;
  });
}

/** Each time changed in one place: a character replaced, removed or added. */
function mutations(times: readonly string[], next: () => number): string[] {
  const alphabet = '0123456789-+:.TZtz 9０';
  const out: string[] = [];
  for (const time of times) {
    const at = Math.floor(next() * (time.length + 1));
    const c = alphabet[Math.floor(next() * alphabet.length)]!;
    out.push(time.slice(0, at) + c + time.slice(at + 1), time.slice(0, at) + time.slice(at + 1), time.slice(0, at) + c + time.slice(at));
  }
  return out;
}

describe('k6TimeEpochMs', () => {
  const next = random(17);
  const valid = [...validTimes(3000, next), '2026-01-01T12:00:00.123456+01:00', '2024-02-29T23:59:59.999999999-23:59', '2026-12-31T23:59:59Z', '1970-01-01T00:00:00.1+00:00'];

  it('gives Date.parse\'s value for every time in k6\'s layout (the fraction cut to whole ms)', () => {
    for (const time of valid) expect(k6TimeEpochMs(time), time).toBe(Date.parse(time));
  });

  it('accepts exactly the layout\'s times of days that exist (of years from 100), nothing else', () => {
    const tried = [...valid, ...mutations(valid, next), '2026-02-31T00:00:00Z', '2026-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T12:00:60Z', '2026-01-01T12:00:00.Z', '2026-01-01T12:00:00.1234567890Z', '2026-01-01T12:00:00+0100', '2026-01-01T12:00Z', '2026-01-01 12:00:00Z', '2026-01-01T12:00:00', ''];
    let refused = 0;
    for (const time of tried) {
      const expected = k6Layout.test(time) && dayExists(time) && Number(time.slice(0, 4)) >= 100;
      if (!expected) refused++;
      expect(k6TimeEpochMs(time) !== null, time).toBe(expected);
      if (expected) expect(k6TimeEpochMs(time), time).toBe(Date.parse(time));
    }
    expect(refused).toBeGreaterThan(3000);
  });

  it('reads a day it has not met after one it has (the day it keeps is only a shortcut)', () => {
    expect(k6TimeEpochMs('2026-03-01T00:00:00Z')).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(k6TimeEpochMs('2026-03-02T00:00:00Z')).toBe(Date.parse('2026-03-02T00:00:00Z'));
    expect(k6TimeEpochMs('2026-02-31T00:00:00Z')).toBeNull();
    expect(k6TimeEpochMs('2026-03-01T00:00:00Z')).toBe(Date.parse('2026-03-01T00:00:00Z'));
  });

  it('leaves years before 100 to Date.parse (Date.UTC reads them as 1900-1999), which toClientRecord then uses', () => {
    expect(k6TimeEpochMs('0099-01-01T00:00:00Z')).toBeNull();
    const sample = k6RequestSampleSchema.parse({
      type: 'Point',
      metric: 'spillway_request',
      data: { time: '0099-01-01T00:00:00.5Z', value: 12, tags: { status: '200', scenario: 's', consumer: 'c', priority: '', operation: 'chat', stream: 'false', served_by: '', served_region: '', fd_origin: '', error_origin: '', gateway_reason: '', retry_after: '', remaining_tokens: '', prompt_tokens: '1', completion_tokens: '2' } },
    });
    expect(toClientRecord(sample).time).toBe(Date.parse('0099-01-01T00:00:00.5Z'));
  });
});
