import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BreakerEvent } from '../harness/contracts/breaker-events.ts';
import type { ClientRecord } from '../harness/contracts/client-record.ts';
import { journalSchema, journalSchemaVersion, type Journal } from '../harness/contracts/journal.ts';
import type { LedgerRecord } from '../harness/contracts/ledger-record.ts';
import { scenarioPlanSchema } from '../harness/contracts/scenario-plan.ts';
import type { Verdict } from '../harness/contracts/verdict.ts';

/**
 * Run folders for the reports' tests (and the report benchmark): a journal that passes the
 * journal's schema, and evidence files in the shapes k6 and the fleet write them. Not used by
 * any command: a real run folder comes from `spillway run`.
 */

export function fixtureVerdict(check: string, status: Verdict['status'], measured = `${check} measured`): Verdict {
  return { check, status, expected: `${check} expected`, measured, tolerance: 'none', explanation: `${check}: what happened and where to look`, evidence: [{ file: 'fleet-ledger.jsonl', description: `${check}'s records` }] };
}

/** A completed run's journal (schema 2), started at `startMs`, with what `overrides` replaces. */
export function fixtureJournal(overrides: Partial<Journal> = {}, startMs = Date.UTC(2026, 11, 1, 10, 0, 0)): Journal {
  const plan = scenarioPlanSchema.parse({
    description: 'a fixture plan',
    durationSeconds: 60,
    traffic: [{ consumer: 'user-facing', ratePerUnit: 2, operation: 'chat', promptWords: { kind: 'fixed', value: 40 }, maxTokens: { kind: 'fixed', value: 80 } }],
    verifiers: ['spillover'],
  });
  const journal: Journal = {
    schemaVersion: journalSchemaVersion,
    runId: 'fixture-run',
    scenario: 'fixture',
    status: 'completed',
    exitCode: 0,
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(startMs + 61_000).toISOString(),
    plan: { ...plan, name: 'fixture', units: 1 },
    target: { kind: 'embedded', entryUrl: 'http://127.0.0.1:1', fleet: 'started', healthPath: '/status-0123456789abcdef', notes: [] },
    tools: [],
    timeline: [],
    k6: { exitCode: 0, signal: null, meaning: 'ok', startedAt: new Date(startMs).toISOString(), endedAt: new Date(startMs + 60_000).toISOString(), bundle: null },
    evidenceSources: [
      { kind: 'ledger', status: 'collected' },
      { kind: 'client', status: 'collected' },
      { kind: 'gatewayLogs', status: 'absent', note: 'not in the fixture' },
      { kind: 'llmLogs', status: 'absent', note: 'not in the fixture' },
      { kind: 'breakerEvents', status: 'collected' },
      { kind: 'frontDoorEvents', status: 'absent', note: 'not in the fixture' },
    ],
    evidence: { client: 'k6-samples.json', ledger: 'fleet-ledger.jsonl', breakerEvents: 'gateway-logs/circuit-breaker-events.jsonl', journal: 'journal.json' },
    verdicts: [fixtureVerdict('spillover.payg-only-on-overflow', 'pass')],
    phases: { setup: 100, load: 60_000, analysis: 50 },
    ...overrides,
  };
  return journalSchema.parse(journal);
}

/** One line of k6's JSON output for a client record, as k6 writes `spillway_request` samples. */
export function k6SampleLine(record: ClientRecord): string {
  return JSON.stringify({
    type: 'Point',
    metric: 'spillway_request',
    data: {
      time: new Date(record.time).toISOString(),
      value: record.durationMs,
      tags: {
        status: String(record.status),
        scenario: record.scenario,
        consumer: record.consumer,
        priority: record.priority,
        operation: record.operation,
        stream: String(record.stream),
        served_by: record.servedBy,
        served_region: record.servedRegion,
        fd_origin: record.frontDoorOrigin,
        error_origin: record.errorOrigin,
        gateway_reason: record.gatewayReason,
        retry_after: record.retryAfter,
        remaining_tokens: record.remainingTokens,
        prompt_tokens: String(record.promptTokens),
        completion_tokens: String(record.completionTokens),
      },
    },
  });
}

export function fixtureClientRecord(time: number, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    time,
    durationMs: 120,
    status: 200,
    scenario: 'fixture',
    consumer: 'user-facing',
    priority: 'medium',
    operation: 'chat',
    stream: false,
    servedBy: 'aoai-eastus-ptu1',
    servedRegion: 'East US',
    frontDoorOrigin: '',
    errorOrigin: '',
    gatewayReason: '',
    retryAfter: '',
    remainingTokens: '',
    promptTokens: 50,
    completionTokens: 80,
    ...overrides,
  };
}

export function fixtureLedgerRequest(seq: number, start: number, backend = 'aoai-eastus-ptu1', status = 200): LedgerRecord {
  return {
    type: 'request',
    seq,
    start,
    firstByte: start + 50,
    end: start + 100,
    backend,
    region: backend.includes('westus') ? 'West US' : 'East US',
    kind: backend.includes('payg') ? 'payg' : 'ptu',
    deployment: 'gpt-4o',
    operation: 'chat',
    stream: false,
    status,
    reason: status === 200 ? 'ok' : status === 429 ? 'tpm' : 'fault:status',
    promptTokens: 50,
    completionTokens: 80,
    admissionCost: 130,
    priority: 'medium',
    subscription: 'user-facing',
    subscriptionKeyFingerprint: null,
    auth: 'api-key',
    correlationId: null,
    requestId: `req-${seq}`,
    apiVersion: '2024-10-21',
  };
}

export function fixtureBreakerEvent(backendName: string, opened: boolean, at: number, region = 'East US'): BreakerEvent {
  return {
    id: `${backendName}-${opened ? 'open' : 'close'}-${at}`,
    subject: `/backends/${backendName}/circuit-breaker/rules/trip-on-5xx`,
    eventType: opened ? 'Microsoft.ApiManagement.CircuitBreaker.Opened' : 'Microsoft.ApiManagement.CircuitBreaker.Closed',
    eventTime: new Date(at).toISOString(),
    data: { backendName, circuitBreaker: { rules: { 'trip-on-5xx': { tripDuration: '00:00:10' } } } },
    dataVersion: '1',
    metadataVersion: '1',
    region,
  };
}

/** Writes a run folder: journal.json and whichever evidence is given, in the journal's file names. */
export function writeFixtureRun(dir: string, parts: { journal: Journal; client?: ClientRecord[]; ledger?: LedgerRecord[]; breakerEvents?: BreakerEvent[]; k6Noise?: boolean }): void {
  mkdirSync(dir, { recursive: true });
  const write = (name: string, lines: string[]): void => {
    const file = join(dir, parts.journal.evidence[name] ?? name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  };
  writeFileSync(join(dir, 'journal.json'), `${JSON.stringify(parts.journal, null, 2)}\n`);
  if (parts.client) {
    // k6 writes its own metrics beside Spillway's samples; the reader must skip them.
    const noise = parts.k6Noise ? [JSON.stringify({ type: 'Metric', data: { name: 'http_reqs', type: 'counter' }, metric: 'http_reqs' }), JSON.stringify({ type: 'Point', metric: 'http_reqs', data: { time: new Date(parts.client[0]?.time ?? 0).toISOString(), value: 1, tags: {} } })] : [];
    write('client', [...noise, ...parts.client.map(k6SampleLine)]);
  }
  if (parts.ledger) write('ledger', parts.ledger.map((r) => JSON.stringify(r)));
  if (parts.breakerEvents) write('breakerEvents', parts.breakerEvents.map((e) => JSON.stringify(e)));
}
