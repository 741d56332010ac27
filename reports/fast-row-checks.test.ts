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
