import { errorOrigins, gatewayReasons, k6TimeEpochMs } from '../harness/contracts/client-record.ts';
import { ledgerReasonSchema } from '../harness/contracts/ledger-record.ts';

/**
 * Quick checks of the two evidence files a long run fills with hundreds of thousands of rows
 * (k6's samples, the fleet's ledger), for reading them into a report in seconds rather than
 * tens of seconds: plain type tests instead of a zod parse per row. A check says only "this row
 * is certainly valid": whatever it does not accept goes through the contract's zod schema as
 * before (run-folder.ts), which then accepts it or names the line and field that is wrong. So a
 * check may be stricter than its schema, never looser (fast-row-checks.test.ts holds each
 * against its schema on valid rows and on rows broken one field at a time).
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
/** /^\d+$/ (a k6 tag holding a whole number), without a regular expression. */
function isWholeNumberTag(v: unknown): boolean {
  if (typeof v !== 'string' || v.length === 0) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
const errorOriginSet = new Set<string>(errorOrigins);
const gatewayReasonSet = new Set<string>(gatewayReasons);
const operations = new Set(['chat', 'embeddings']);

/**
 * A k6 `spillway_request` sample that k6RequestSampleSchema certainly accepts. Its time is in
 * k6's layout, RFC 3339 with an offset or Z, of a day that exists (k6TimeEpochMs: zod's
 * z.iso.datetime({ offset: true }) accepts these and more; a date that matches the layout but
 * does not exist, 31 February, which Date.parse rolls over into March, is left to the schema).
 * No regular expression and no date object per row: over 600,000 samples this check went from
 * about 370 ms to about 100 ms (docs/reports.md, "How fast, how big").
 */
export function isCertainlyK6RequestSample(row: unknown): boolean {
  if (!isObject(row) || row.type !== 'Point' || row.metric !== 'spillway_request') return false;
  const data = row.data;
  if (!isObject(data) || !isString(data.time) || k6TimeEpochMs(data.time) === null || !isFiniteNumber(data.value) || data.value < 0) return false;
  const tags = data.tags;
  if (!isObject(tags)) return false;
  return (
    isString(tags.scenario) && isString(tags.consumer) && isString(tags.priority) && isString(tags.served_by) &&
    isString(tags.served_region) && isString(tags.fd_origin) && isString(tags.retry_after) && isString(tags.remaining_tokens) &&
    isWholeNumberTag(tags.status) && isWholeNumberTag(tags.prompt_tokens) && isWholeNumberTag(tags.completion_tokens) &&
    isString(tags.operation) && operations.has(tags.operation) &&
    (tags.stream === 'true' || tags.stream === 'false') &&
    isString(tags.error_origin) && errorOriginSet.has(tags.error_origin) &&
    isString(tags.gateway_reason) && gatewayReasonSet.has(tags.gateway_reason)
  );
}

const requestKeys = ['type', 'seq', 'start', 'firstByte', 'end', 'backend', 'region', 'kind', 'deployment', 'operation', 'stream', 'status', 'reason', 'promptTokens', 'completionTokens', 'admissionCost', 'priority', 'subscription', 'subscriptionKeyFingerprint', 'auth', 'correlationId', 'requestId', 'apiVersion'];
const requestKeySet = new Set(requestKeys);
const ledgerOperations = new Set(['chat', 'completions', 'embeddings', 'unknown']);
const auths = new Set(['api-key', 'bearer', 'none']);
const plainReasons = new Set(ledgerReasonSchema.options[0].options as readonly string[]);
const nullableString = (v: unknown): boolean => v === null || isString(v);

/** A ledger `request` record that the ledger's schema certainly accepts (fault records go to the schema). */
export function isCertainlyLedgerRequest(row: unknown): boolean {
  if (!isObject(row) || row.type !== 'request') return false;
  // Strict, as the schema: every key known, every required key present.
  const keys = Object.keys(row);
  const hasFaults = 'faults' in row;
  if (keys.length !== requestKeys.length + (hasFaults ? 1 : 0)) return false;
  for (const key of keys) if (!requestKeySet.has(key) && key !== 'faults') return false;
  if (hasFaults && !(Array.isArray(row.faults) && row.faults.every(isString))) return false;
  const reason = row.reason;
  return (
    isInt(row.seq) && (row.seq as number) > 0 &&
    isFiniteNumber(row.start) && (row.firstByte === null || isFiniteNumber(row.firstByte)) && isFiniteNumber(row.end) &&
    isString(row.backend) && isString(row.region) && (row.kind === 'ptu' || row.kind === 'payg') && isString(row.deployment) &&
    isString(row.operation) && ledgerOperations.has(row.operation) && typeof row.stream === 'boolean' && isInt(row.status) &&
    isString(reason) && (plainReasons.has(reason) || reason.startsWith('fault:')) &&
    isInt(row.promptTokens) && (row.promptTokens as number) >= 0 && isInt(row.completionTokens) && (row.completionTokens as number) >= 0 &&
    isFiniteNumber(row.admissionCost) && row.admissionCost >= 0 &&
    nullableString(row.priority) && nullableString(row.subscription) && nullableString(row.subscriptionKeyFingerprint) &&
    isString(row.auth) && auths.has(row.auth) && nullableString(row.correlationId) && isString(row.requestId) && nullableString(row.apiVersion)
  );
}
