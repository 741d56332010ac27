import { describe, expect, it } from 'vitest';
import type { RequestRecord } from './ledger.ts';
import { requestRecordJson } from './ledger-json.ts';

/** A request record's line must be byte for byte what JSON.stringify writes for it. */
describe('request records as JSON text', () => {
  // Field for field in the order aoai-handlers.ts (record) and fleet.ts (rejectWithoutHandler) build them.
  const record = (over: Partial<RequestRecord> = {}): RequestRecord => ({
    type: 'request',
    start: 1_763_780_000_123,
    firstByte: 1_763_780_000_124,
    end: 1_763_780_000_125,
    backend: 'aoai-bench',
    region: 'East US',
    kind: 'ptu',
    deployment: 'gpt-4o',
    operation: 'chat',
    stream: false,
    status: 200,
    reason: 'ok',
    promptTokens: 15,
    completionTokens: 20,
    admissionCost: 55,
    priority: null,
    subscription: null,
    subscriptionKeyFingerprint: null,
    auth: 'api-key',
    correlationId: null,
    requestId: 'c8a3f1b2-1111-2222-3333-444455556666',
    apiVersion: '2024-10-21',
    seq: 1,
    ...over,
  });

  it('writes what JSON.stringify writes, whatever the values', () => {
    const variants: Partial<RequestRecord>[] = [
      {},
      { firstByte: null, stream: true, status: 499, reason: 'client-closed', apiVersion: null },
      { deployment: 'quote " backslash \\ newline \n tab \t control \u0001', region: 'ünïcødé ✓ 🚀 \ud800', priority: 'high', subscription: 'sub-1' },
      { subscriptionKeyFingerprint: 'abcdef012345', correlationId: 'corr-\u2028', auth: 'bearer', operation: 'unknown' },
      { start: Number.NaN, end: Number.POSITIVE_INFINITY, promptTokens: -0, admissionCost: 1e21, completionTokens: 0.5, seq: 2 ** 53 },
      { reason: 'fault:truncate-stream', kind: 'payg', status: 0 },
    ];
    for (const over of variants) {
      const r = record(over);
      expect(requestRecordJson(r)).toBe(JSON.stringify(r));
    }
  });

  it('leaves a field that is undefined out, as JSON.stringify does', () => {
    const r = record({ priority: undefined as unknown as null });
    expect(requestRecordJson(r)).toBe(JSON.stringify(r));
    expect(requestRecordJson(r)).not.toContain('priority');
  });
});
