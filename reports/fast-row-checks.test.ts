import { describe, expect, it } from 'vitest';
import { k6RequestSampleSchema } from '../harness/contracts/client-record.ts';
import { ledgerRecordSchema } from '../harness/contracts/ledger-record.ts';
import { isCertainlyK6RequestSample, isCertainlyLedgerRequest } from './fast-row-checks.ts';
import { fixtureClientRecord, fixtureLedgerRequest, k6SampleLine } from './fixture-run-folder.ts';

/**
 * A quick check may be stricter than its schema, never looser: on valid rows it should accept
 * (or it saves nothing), and on every row broken one field at a time it must not accept what the
 * schema refuses.
 */

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/** Every way to break one field: remove it, null it, give it the wrong type, an out-of-range or unknown value. */
function corruptions(row: Json, path: string[] = []): { what: string; row: Json }[] {
  const out: { what: string; row: Json }[] = [];
  const at = (root: Json, p: string[]): Json => p.reduce((o, k) => o[k] as Json, root);
  for (const [key, value] of Object.entries(at(row, path))) {
    const variants: [string, unknown][] = [
      ['removed', undefined],
      ['null', null],
      ['a number', 7],
      ['a negative number', -1],
      ['a fraction', 1.5],
      ['a string', 'nonsense'],
      ['a numeric string', '12'],
      ['a boolean', true],
      ['an object', {}],
      ['an array', ['x']],
    ];
    for (const [what, replacement] of variants) {
      const broken = clone(row);
      const parent = at(broken, path);
      if (replacement === undefined) delete parent[key];
      else parent[key] = replacement;
      out.push({ what: `${[...path, key].join('.')} ${what}`, row: broken });
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(...corruptions(row, [...path, key]));
  }
  const extra = clone(row);
  at(extra, path).unexpected = 1;
  out.push({ what: `${path.join('.') || '(row)'} with an unknown key`, row: extra });
  return out;
}

describe('isCertainlyK6RequestSample', () => {
  const valid = [
    JSON.parse(k6SampleLine(fixtureClientRecord(Date.UTC(2026, 0, 1)))) as Json,
    JSON.parse(k6SampleLine(fixtureClientRecord(Date.UTC(2026, 0, 1), { status: 429, errorOrigin: 'gateway', gatewayReason: 'token-limit', stream: true, operation: 'embeddings' }))) as Json,
    // As k6 writes times: microseconds and the machine's offset.
    { ...(JSON.parse(k6SampleLine(fixtureClientRecord(0))) as Json), data: { ...(JSON.parse(k6SampleLine(fixtureClientRecord(0))) as { data: Json }).data, time: '2026-01-01T12:00:00.123456+01:00' } },
  ];

  it('accepts the valid samples k6 writes', () => {
    for (const row of valid) {
      expect(k6RequestSampleSchema.safeParse(row).success).toBe(true);
      expect(isCertainlyK6RequestSample(row)).toBe(true);
    }
  });

  it('never accepts a sample the schema refuses', () => {
    let refused = 0;
    for (const { what, row } of valid.flatMap((v) => corruptions(v))) {
      if (k6RequestSampleSchema.safeParse(row).success) continue;
      refused++;
      expect(isCertainlyK6RequestSample(row), what).toBe(false);
    }
    expect(refused).toBeGreaterThan(100);
    for (const time of ['2026-02-31T00:00:00Z', '2026-01-01 12:00:00Z', '2026-01-01T12:00:00']) {
      const row = clone(valid[0]!) as { data: Json };
      row.data.time = time;
      if (!k6RequestSampleSchema.safeParse(row).success) expect(isCertainlyK6RequestSample(row), time).toBe(false);
    }
  });
});

describe('isCertainlyK6RequestSample, its time and whole-number tags read without regular expressions', () => {
  const base = JSON.parse(k6SampleLine(fixtureClientRecord(Date.UTC(2026, 0, 1)))) as { data: { time: string; tags: Json } };
  const withTime = (time: string) => ({ ...base, data: { ...base.data, time } });
  const withTag = (tag: string, value: string) => ({ ...base, data: { ...base.data, tags: { ...base.data.tags, [tag]: value } } });

  it('never accepts a time the schema refuses, and accepts k6\'s times', () => {
    const k6Times = ['2026-01-01T12:00:00.123456+01:00', '2026-01-01T12:00:00Z', '2024-02-29T23:59:59.999999999-23:59', '2026-06-30T00:00:00.5+05:30'];
    for (const time of k6Times) expect(isCertainlyK6RequestSample(withTime(time)), time).toBe(true);
    const odd = ['2026-02-31T00:00:00Z', '2026-02-29T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T12:60:00Z', '2026-01-01T12:00:00.Z', '2026-01-01T12:00:00.1234567890Z', '2026-01-01T12:00:00+0100', '2026-01-01T12:00:00+24:00', '2026-01-01t12:00:00z', '2026-01-01T12:00Z', '2026-13-01T12:00:00Z', '2026-00-10T12:00:00Z', '0099-01-01T00:00:00Z', '２026-01-01T12:00:00Z', '2026-01-01T12:00:00Z ', ''];
    let refused = 0;
    for (const time of [...odd, ...k6Times.flatMap((t) => [...t].map((_, i) => t.slice(0, i) + t.slice(i + 1)))]) {
      if (k6RequestSampleSchema.safeParse(withTime(time)).success) continue;
      refused++;
      expect(isCertainlyK6RequestSample(withTime(time)), time).toBe(false);
    }
    expect(refused).toBeGreaterThan(40);
  });

  it('takes a whole-number tag as /^\\d+$/ does, and never one the schema refuses', () => {
    for (const tag of ['status', 'prompt_tokens', 'completion_tokens']) {
      for (const value of ['0', '200', '0012', '123456789012345678901234567890']) expect(isCertainlyK6RequestSample(withTag(tag, value)), `${tag} ${value}`).toBe(true);
      for (const value of ['', ' 1', '1 ', '+1', '-1', '1.0', '1e3', '0x1', '１', '٣', '2OO']) {
        expect(k6RequestSampleSchema.safeParse(withTag(tag, value)).success, `${tag} ${JSON.stringify(value)}`).toBe(false);
        expect(isCertainlyK6RequestSample(withTag(tag, value)), `${tag} ${JSON.stringify(value)}`).toBe(false);
      }
    }
  });
});

describe('isCertainlyLedgerRequest', () => {
  const valid = [fixtureLedgerRequest(1, 1000) as Json, { ...(fixtureLedgerRequest(2, 2000, 'aoai-eastus-payg', 500) as Json), firstByte: null, faults: ['rule-1'] }, { ...(fixtureLedgerRequest(3, 3000) as Json), reason: 'fault:latency', priority: null }];

  it('accepts the valid requests the fleet writes', () => {
    for (const row of valid) {
      expect(ledgerRecordSchema.safeParse(row).success).toBe(true);
      expect(isCertainlyLedgerRequest(row)).toBe(true);
    }
  });

  it('never accepts a record the schema refuses', () => {
    let refused = 0;
    for (const { what, row } of valid.flatMap((v) => corruptions(v))) {
      if (ledgerRecordSchema.safeParse(row).success) continue;
      refused++;
      expect(isCertainlyLedgerRequest(row), what).toBe(false);
    }
    expect(refused).toBeGreaterThan(100);
  });
});
