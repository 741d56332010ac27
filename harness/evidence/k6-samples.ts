import type { ClientRecord } from './evidence-types.ts';
import { readJsonl } from './read-jsonl.ts';

/**
 * Turns k6's JSON output (`--out json=file`) into client records: every request emits one
 * `spillway_request` sample whose tags carry what the client saw (scenarios/lib/README.md
 * lists the tags). k6's sample times have microseconds; they are kept as fractional ms.
 */
interface K6Point {
  type: 'Point';
  metric: string;
  data: { time: string; value: number; tags: Record<string, string> };
}

const isRequestPoint = (row: unknown): row is K6Point =>
  typeof row === 'object' && row !== null && (row as K6Point).type === 'Point' && (row as K6Point).metric === 'spillway_request';

export async function readClientRecords(file: string): Promise<ClientRecord[]> {
  const points = await readJsonl(file, isRequestPoint, { prefilter: '"spillway_request"' });
  return points.map((point) => toClientRecord(point));
}

const origins = new Set(['gateway', 'backend', 'frontdoor']);
const reasons = new Set(['token-limit', 'token-quota', 'rate-limit', 'quota', 'pool-exhausted', 'other']);

export function toClientRecord(point: K6Point): ClientRecord {
  const tags = point.data.tags;
  const text = (name: string): string => tags[name] ?? '';
  const number = (name: string): number => {
    const value = Number(tags[name] ?? '0');
    return Number.isFinite(value) ? value : 0;
  };
  return {
    time: Date.parse(point.data.time),
    durationMs: point.data.value,
    status: number('status'),
    scenario: text('scenario'),
    consumer: text('consumer'),
    priority: text('priority'),
    operation: text('operation') === 'embeddings' ? 'embeddings' : 'chat',
    stream: text('stream') === 'true',
    servedBy: text('served_by'),
    servedRegion: text('served_region'),
    frontDoorOrigin: text('fd_origin'),
    errorOrigin: (origins.has(text('error_origin')) ? text('error_origin') : '') as ClientRecord['errorOrigin'],
    gatewayReason: (reasons.has(text('gateway_reason')) ? text('gateway_reason') : '') as ClientRecord['gatewayReason'],
    retryAfter: text('retry_after'),
    remainingTokens: text('remaining_tokens'),
    promptTokens: number('prompt_tokens'),
    completionTokens: number('completion_tokens'),
  };
}
