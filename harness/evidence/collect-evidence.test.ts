/**
 * Collecting a run folder's evidence: every file read back through its contract. A run's
 * evidence written in the files' own formats (the ledger, the two Log Analytics tables, the
 * breaker events, the front door events, k6's JSON output with its own lines beside
 * Spillway's) comes back as the RunEvidence it was (the log rows' judged columns); a row broken in any one field stops the
 * collection with an error naming the file, the line and that field.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClientRecord } from '../contracts/client-record.ts';
import type { EvidenceSource, RunEvidence } from '../contracts/evidence.ts';
import { gatewayLogEvidence, judgedGatewayLogColumns, judgedLlmLogColumns, llmLogEvidence } from '../contracts/gateway-log-rows.ts';
import { EAST, EvidenceBuilder, WEST } from '../verify/test-evidence.ts';
import { collectEvidence, evidencePaths } from './collect-evidence.ts';
import { EvidenceRowError } from './read-jsonl.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A small run's evidence, with a row of every kind the verifiers read. */
function sampleEvidence(): RunEvidence {
  const b = new EvidenceBuilder();
  b.gatewayRequest({ at: 1_000, attempts: [{ backend: 'aoai-eastus-ptu1', status: 429, reason: 'utilization' }, { backend: 'aoai-eastus-payg' }] });
  b.gatewayRequest({ at: 2_000, subscription: 'dev-test', status: 429 });
  b.clientRequest({ at: 1_000, priority: 'medium' });
  b.clientRequest({ at: 2_000, status: 429, consumer: 'dev-test', gatewayReason: 'token-limit', retryAfter: '30', remainingTokens: '0', stream: true });
  b.clientRequest({ at: 2_500, status: 0, operation: 'embeddings' });
  b.fleetFault({ id: 'ptu1-fails', at: 3_000, until: 5_000, target: { backend: 'aoai-eastus-ptu1' } });
  b.breakerEvent({ type: 'Opened', backend: 'aoai-eastus-ptu1', region: EAST, at: 3_500 });
  b.healthEvent({ origin: EAST, healthy: false, at: 4_000 });
  b.frontDoorRequest({ origin: WEST, at: 4_500 });
  b.frontDoorRequest({ at: 4_600, status: 503, errorInfo: 'NoEnabledOrigin' });
  return b.build();
}

/** k6's JSON output line for one client record: its time in k6's form (microseconds, an offset). */
function k6Point(record: ClientRecord): Record<string, unknown> {
  return {
    type: 'Point',
    metric: 'spillway_request',
    data: {
      time: new Date(record.time).toISOString().replace('Z', '417+00:00'),
      value: record.durationMs,
      tags: {
        status: String(record.status), scenario: record.scenario, consumer: record.consumer, priority: record.priority, operation: record.operation, stream: String(record.stream),
        served_by: record.servedBy, served_region: record.servedRegion, fd_origin: record.frontDoorOrigin, error_origin: record.errorOrigin, gateway_reason: record.gatewayReason,
        retry_after: record.retryAfter, remaining_tokens: record.remainingTokens, prompt_tokens: String(record.promptTokens), completion_tokens: String(record.completionTokens),
        group: '',
      },
    },
  };
}

/** The evidence files as the run writes them, each row through `edit` (by file name, line from 1) first. */
function writeRun(evidence: RunEvidence, edit: (file: string, line: number, row: Record<string, unknown>) => unknown = (_file, _line, row) => row): string {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-collect-'));
  dirs.push(dir);
  const paths = evidencePaths(dir);
  mkdirSync(paths.logsDir, { recursive: true });
  const write = (file: string, rows: unknown[]): void => {
    const name = file.slice(dir.length + 1);
    writeFileSync(file, rows.map((row, i) => { const edited = edit(name, i + 1, structuredClone(row) as Record<string, unknown>); return typeof edited === 'string' ? edited : JSON.stringify(edited); }).map((line) => `${line}\n`).join(''));
  };
  write(paths.ledger, [...evidence.ledger, ...evidence.faultChanges].sort((a, b) => a.seq - b.seq));
  write(paths.gatewayLogs, evidence.gatewayLogs);
  write(paths.llmLogs, evidence.llmLogs);
  write(paths.breakerEvents, evidence.breakerEvents);
  write(paths.frontDoorEvents, evidence.frontDoorEvents);
  // k6's own lines (a metric's declaration, a built-in sample) beside Spillway's samples.
  write(paths.client, [
    { type: 'Metric', metric: 'spillway_request', data: { name: 'spillway_request', type: 'trend', contains: 'time', thresholds: [], submetrics: null } },
    { type: 'Point', metric: 'http_reqs', data: { time: '2026-01-01T12:00:01.000000+00:00', value: 1, tags: { status: '200' } } },
    ...evidence.client.map(k6Point),
  ]);
  return dir;
}

const collect = (dir: string, evidence: RunEvidence, sources?: readonly EvidenceSource[]): Promise<RunEvidence> => collectEvidence(dir, evidence.window, evidence.timeline, evidence.fleet, sources);

/** What a gateway somebody else wrote brings: the fleet's ledger and k6's records, nothing of the gateway's own. */
const ledgerAndClient: EvidenceSource[] = [
  { kind: 'ledger', status: 'collected' },
  { kind: 'client', status: 'collected' },
  { kind: 'gatewayLogs', status: 'absent', note: 'nginx keeps no ApiManagementGatewayLogs' },
];

describe('collectEvidence', () => {
  it('reads every file back into the evidence that was written, through the contracts', async () => {
    const evidence = sampleEvidence();
    const collected = await collect(writeRun(evidence), evidence);
    // Of the gateway's log rows, the judged columns are kept.
    expect({ ...collected, files: null }).toEqual({ ...evidence, gatewayLogs: evidence.gatewayLogs.map(gatewayLogEvidence), llmLogs: evidence.llmLogs.map(llmLogEvidence), files: null });
    expect(Object.keys(collected.gatewayLogs[0]!).sort()).toEqual([...judgedGatewayLogColumns].sort());
    expect(Object.keys(collected.llmLogs[0]!).sort()).toEqual([...judgedLlmLogColumns].sort());
    expect(collected.files).toEqual({
      client: 'k6-samples.json',
      ledger: 'fleet-ledger.jsonl',
      gatewayLogs: 'gateway-logs/ApiManagementGatewayLogs.jsonl',
      llmLogs: 'gateway-logs/ApiManagementGatewayLlmLog.jsonl',
      breakerEvents: 'gateway-logs/circuit-breaker-events.jsonl',
      frontDoorEvents: 'gateway-logs/front-door-events.jsonl',
      k6Summary: 'k6-summary.json',
    });
  });

  it('says every kind was collected when the target brings them all (the default: the embedded target)', async () => {
    const evidence = sampleEvidence();
    const collected = await collect(writeRun(evidence), evidence);
    expect(collected.sources).toEqual(['ledger', 'client', 'gatewayLogs', 'llmLogs', 'breakerEvents', 'frontDoorEvents'].map((kind) => ({ kind, status: 'collected' })));
  });

  it('marks a kind the target brings but whose file was not written incomplete, naming the file, and yields none of it', async () => {
    const evidence = sampleEvidence();
    const dir = writeRun(evidence);
    rmSync(evidencePaths(dir).breakerEvents);
    const collected = await collect(dir, evidence);
    expect(collected.breakerEvents).toEqual([]);
    expect(collected.sources.find((s) => s.kind === 'breakerEvents')).toEqual({
      kind: 'breakerEvents',
      status: 'incomplete',
      note: 'the target brings breakerEvents, but gateway-logs/circuit-breaker-events.jsonl was not written',
    });
  });

  it('reads only the kinds the target brings, and marks the others absent with the target\'s note or a default one', async () => {
    const evidence = sampleEvidence();
    // The gateway's files lie in the folder (a stale run, say), one of them malformed: none is read.
    const dir = writeRun(evidence, (name, line, row) => (name === 'gateway-logs/ApiManagementGatewayLogs.jsonl' && line === 1 ? '{"not json' : row));
    const collected = await collect(dir, evidence, ledgerAndClient);
    expect(collected.ledger).toEqual(evidence.ledger);
    expect(collected.faultChanges).toEqual(evidence.faultChanges);
    expect(collected.client).toEqual(evidence.client);
    expect([collected.gatewayLogs, collected.llmLogs, collected.breakerEvents, collected.frontDoorEvents]).toEqual([[], [], [], []]);
    expect(collected.sources).toEqual([
      { kind: 'ledger', status: 'collected' },
      { kind: 'client', status: 'collected' },
      { kind: 'gatewayLogs', status: 'absent', note: 'nginx keeps no ApiManagementGatewayLogs' },
      { kind: 'llmLogs', status: 'absent', note: 'this target does not bring llmLogs' },
      { kind: 'breakerEvents', status: 'absent', note: 'this target does not bring breakerEvents' },
      { kind: 'frontDoorEvents', status: 'absent', note: 'this target does not bring frontDoorEvents' },
    ]);
  });

  it('reads a kind the target knows to be incomplete, and keeps it incomplete with the target\'s note', async () => {
    const evidence = sampleEvidence();
    const note = 'the ledger poller lost records 3 to 4 (the fleet ring buffer wrapped)';
    const collected = await collect(writeRun(evidence), evidence, [{ kind: 'ledger', status: 'incomplete', note }, { kind: 'client', status: 'collected' }]);
    expect(collected.ledger).toEqual(evidence.ledger);
    expect(collected.sources[0]).toEqual({ kind: 'ledger', status: 'incomplete', note });
  });

  it('refuses a kind the target lists twice', async () => {
    const evidence = sampleEvidence();
    await expect(collect(writeRun(evidence), evidence, [...ledgerAndClient, { kind: 'ledger', status: 'absent' }])).rejects.toThrow(/the evidence kind "ledger" is listed twice/);
  });

  // Each case breaks one field of one row; the error must name the file, the line and the field.
  it.each<[string, string, number, (row: Record<string, unknown>) => unknown, string, RegExp]>([
    ['a ledger status given as text', 'fleet-ledger.jsonl', 2, (row) => ({ ...row, status: '200' }), 'status', /expected number/],
    ['a ledger record of an unknown type', 'fleet-ledger.jsonl', 1, (row) => ({ ...row, type: 'weird' }), 'type', /./],
    ['a ledger reason no backend gives', 'fleet-ledger.jsonl', 1, (row) => ({ ...row, reason: 'tired' }), 'reason', /./],
    ['a ledger record with a field the contract does not have', 'fleet-ledger.jsonl', 2, (row) => ({ ...row, extra: 1 }), '', /Unrecognized key.*extra/],
    ['a recorded fault rule without its id', 'fleet-ledger.jsonl', 4, (row) => ({ ...row, rule: { ...(row.rule as object), id: undefined } }), 'rule.id', /./],
    ['a gateway log row missing a column', 'gateway-logs/ApiManagementGatewayLogs.jsonl', 2, (row) => ({ ...row, Region: undefined }), 'Region', /./],
    ['a gateway log row of another table', 'gateway-logs/ApiManagementGatewayLogs.jsonl', 1, (row) => ({ ...row, Type: 'ApiManagementGatewayLlmLog' }), 'Type', /ApiManagementGatewayLogs/],
    ['a gateway log TimeGenerated that is not a datetime', 'gateway-logs/ApiManagementGatewayLogs.jsonl', 1, (row) => ({ ...row, TimeGenerated: 1767268801000 }), 'TimeGenerated', /./],
    ['an LLM log token count that is not an int', 'gateway-logs/ApiManagementGatewayLlmLog.jsonl', 1, (row) => ({ ...row, PromptTokens: 1.5 }), 'PromptTokens', /int/],
    ['a breaker event without its time', 'gateway-logs/circuit-breaker-events.jsonl', 1, (row) => ({ ...row, eventTime: 'yesterday' }), 'eventTime', /./],
    ['a breaker event without the instance region', 'gateway-logs/circuit-breaker-events.jsonl', 1, (row) => ({ ...row, region: undefined }), 'region', /./],
    ['a health event without its state', 'gateway-logs/front-door-events.jsonl', 1, (row) => ({ ...row, healthy: undefined }), 'healthy', /./],
    ['a front door request with a negative duration', 'gateway-logs/front-door-events.jsonl', 2, (row) => ({ ...row, durationMs: -5 }), 'durationMs', /./],
    ['a k6 sample with an error origin the scenarios never set', 'k6-samples.json', 4, (row) => withTag(row, 'error_origin', 'mars'), 'data.tags.error_origin', /./],
    ['a k6 sample without its status tag', 'k6-samples.json', 3, (row) => withTag(row, 'status', undefined), 'data.tags.status', /./],
    ['a k6 sample whose token count is not a number', 'k6-samples.json', 5, (row) => withTag(row, 'prompt_tokens', 'many'), 'data.tags.prompt_tokens', /whole number/],
    ['a line that is not JSON', 'gateway-logs/front-door-events.jsonl', 3, () => '{"type":"request",', '', /not valid JSON/],
  ])('refuses %s, naming the file, the line and the field', async (_name, file, line, edit, field, message) => {
    const evidence = sampleEvidence();
    const dir = writeRun(evidence, (name, at, row) => (name === file && at === line ? edit(row) : row));
    const error = await collect(dir, evidence).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(EvidenceRowError);
    const rowError = error as EvidenceRowError;
    expect({ file: rowError.file, line: rowError.line, field: rowError.field }).toEqual({ file: join(dir, file), line, field });
    expect(rowError.message.startsWith(`${join(dir, file)}:${line}: ${field === '' ? '' : `${field}: `}`)).toBe(true);
    expect(rowError.message).toMatch(message);
  });
});

function withTag(row: Record<string, unknown>, tag: string, value: string | undefined): Record<string, unknown> {
  const data = row.data as { tags: Record<string, unknown> };
  return { ...row, data: { ...data, tags: { ...data.tags, [tag]: value } } };
}
