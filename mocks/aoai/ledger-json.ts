import type { RequestRecord } from './ledger.ts';

/**
 * One request record as its JSONL line: the text `JSON.stringify(record)` gives for a record
 * whose fields were set in RequestRecord's declared order, as every request record the fleet
 * writes is (ledger-json.test.ts holds the two to each other), without JSON.stringify's
 * generic walk over two dozen properties on every request. A record with a field left
 * undefined, which the types rule out, is handed to JSON.stringify, which leaves such fields out.
 */

const requestKeys: readonly (keyof RequestRecord)[] = [
  'type', 'start', 'firstByte', 'end', 'backend', 'region', 'kind', 'deployment', 'operation', 'stream', 'status', 'reason',
  'promptTokens', 'completionTokens', 'admissionCost', 'priority', 'subscription', 'subscriptionKeyFingerprint', 'auth',
  'correlationId', 'requestId', 'apiVersion', 'seq',
];

function str(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}
function num(value: number | null): string {
  return value === null || !Number.isFinite(value) ? 'null' : String(value);
}

export function requestRecordJson(r: RequestRecord): string {
  for (const key of requestKeys) if (r[key] === undefined) return JSON.stringify(r);
  return (
    `{"type":${str(r.type)},"start":${num(r.start)},"firstByte":${num(r.firstByte)},"end":${num(r.end)},` +
    `"backend":${str(r.backend)},"region":${str(r.region)},"kind":${str(r.kind)},"deployment":${str(r.deployment)},` +
    `"operation":${str(r.operation)},"stream":${r.stream ? 'true' : 'false'},"status":${num(r.status)},"reason":${str(r.reason)},` +
    `"promptTokens":${num(r.promptTokens)},"completionTokens":${num(r.completionTokens)},"admissionCost":${num(r.admissionCost)},` +
    `"priority":${str(r.priority)},"subscription":${str(r.subscription)},"subscriptionKeyFingerprint":${str(r.subscriptionKeyFingerprint)},` +
    `"auth":${str(r.auth)},"correlationId":${str(r.correlationId)},"requestId":${str(r.requestId)},"apiVersion":${str(r.apiVersion)},` +
    `"seq":${num(r.seq)}}`
  );
}
