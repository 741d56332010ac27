/**
 * Writes a run folder's evidence files for a long, busy run without running one: the shapes
 * the fleet, the gateways, the front door and k6 write (fleet-ledger.jsonl, the gateway log
 * tables, front-door-events.jsonl, k6-samples.json), streamed to disk so that the generator's
 * own memory stays flat whatever the size. For the analysis benchmark: what the harness costs
 * to collect and judge 10 minutes at 1,000 backend requests per second.
 *
 * The traffic is the smoke plan's mix scaled up (medium 70%, high 20%, low 5%, a budgeted
 * dev-test class 5% mostly refused by its token limit), over the sample's six backends, with
 * what makes every verifier do its real work: PTU saturation and spillover to PAYG (a PTU 429
 * then a PAYG retry), a PTU failure with its breaker trip, and a regional outage with failover.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { AppliedFault } from '../harness/contracts/evidence.ts';

export interface SyntheticRunShape {
  /** Seconds of load. */
  seconds: number;
  /** Gateway requests per second (backend attempts are a little more, with retries). */
  rate: number;
  /** Epoch ms of the run's start. */
  start: number;
}

export interface SyntheticRun {
  window: { start: number; end: number };
  /** The timeline as the harness would have applied it. */
  timeline: AppliedFault[];
  counts: { gatewayRequests: number; ledgerRecords: number; clientRecords: number; frontDoorEvents: number };
}

const EAST = 'East US';
const WEST = 'West US';
const backends = {
  [EAST]: { ptu: ['aoai-eastus-ptu1', 'aoai-eastus-ptu2'], payg: 'aoai-eastus-payg' },
  [WEST]: { ptu: ['aoai-westus-ptu1', 'aoai-westus-ptu2'], payg: 'aoai-westus-payg' },
} as const;

/** A buffered line writer that respects back-pressure, so memory does not follow the file. */
class Lines {
  readonly #stream: WriteStream;
  #buffer: string[] = [];
  count = 0;
  constructor(file: string) {
    this.#stream = createWriteStream(file);
  }
  async write(row: unknown): Promise<void> {
    this.#buffer.push(JSON.stringify(row));
    this.count++;
    if (this.#buffer.length >= 2_000) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const text = `${this.#buffer.join('\n')}\n`;
    this.#buffer = [];
    if (!this.#stream.write(text)) await once(this.#stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.#stream.end();
    await once(this.#stream, 'finish');
  }
}

/** Writes the evidence of a synthetic run into runDir (the layout of harness/evidence/collect-evidence.ts). */
export async function writeSyntheticRun(runDir: string, shape: SyntheticRunShape): Promise<SyntheticRun> {
  const logsDir = join(runDir, 'gateway-logs');
  mkdirSync(logsDir, { recursive: true });
  const ledger = new Lines(join(runDir, 'fleet-ledger.jsonl'));
  const gatewayLogs = new Lines(join(logsDir, 'ApiManagementGatewayLogs.jsonl'));
  const llmLogs = new Lines(join(logsDir, 'ApiManagementGatewayLlmLog.jsonl'));
  const breakerEvents = new Lines(join(logsDir, 'circuit-breaker-events.jsonl'));
  const frontDoor = new Lines(join(logsDir, 'front-door-events.jsonl'));
  const client = new Lines(join(runDir, 'k6-samples.json'));

  const { start, seconds, rate } = shape;
  const end = start + seconds * 1000;
  // One PTU failure a tenth of the way in (10 s), a regional outage half way (10 s).
  const ptuFault = { from: start + seconds * 100, to: start + seconds * 100 + 10_000 };
  const outage = { from: start + seconds * 500, to: start + seconds * 500 + 10_000 };
  const detected = outage.from + 4_000;
  const restored = outage.to + 6_000;
  const timeline: AppliedFault[] = [
    {
      id: 'ptu1-fails',
      step: { id: 'ptu1-fails', at: seconds / 10, for: 10, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } } },
      atSeconds: seconds / 10,
      action: 'fleet:status 500',
      target: 'aoai-eastus-ptu1',
      appliedAt: ptuFault.from,
      clearedAt: ptuFault.to,
    },
    { id: 'primary-region-down', step: { id: 'primary-region-down', at: seconds / 2, for: 10, kind: 'region-down', region: EAST }, atSeconds: seconds / 2, action: 'region-down', target: EAST, appliedAt: outage.from, clearedAt: outage.to },
  ];
  // The ledger numbers every record, fault changes and requests alike, from 1.
  let seq = 0;
  await ledger.write({ type: 'fault', seq: ++seq, at: ptuFault.from, action: 'inject', rule: { id: 'rule-1', kind: 'status', status: 500, rate: 1, target: { backend: 'aoai-eastus-ptu1' }, label: 'ptu1-fails', createdAt: ptuFault.from, expiresAt: ptuFault.to } });
  await ledger.write({ type: 'fault', seq: ++seq, at: ptuFault.to, action: 'expire', rule: { id: 'rule-1', kind: 'status', status: 500, rate: 1, target: { backend: 'aoai-eastus-ptu1' }, label: 'ptu1-fails', createdAt: ptuFault.from, expiresAt: ptuFault.to } });
  for (const [at, type] of [[ptuFault.from + 300, 'Opened'], [ptuFault.from + 30_300, 'Closed']] as const) {
    const eventType = `Microsoft.ApiManagement.CircuitBreaker.${type}`;
    await breakerEvents.write({
      id: `${eventType}:aoai-eastus-ptu1:aoai-throttling-and-server-errors:${at}`, subject: '/backends/aoai-eastus-ptu1/circuit-breaker/rules/aoai-throttling-and-server-errors', eventType, eventTime: new Date(at).toISOString(),
      data: { backendName: 'aoai-eastus-ptu1', circuitBreaker: { rules: { 'aoai-throttling-and-server-errors': { tripDuration: '00:00:30' } } } }, dataVersion: '1', metadataVersion: '1', region: EAST,
    });
  }
  for (const [at, healthy] of [[detected, false], [restored, true]] as const) {
    await frontDoor.write({ type: 'health', time: new Date(at).toISOString(), origin: EAST, healthy, successes: healthy ? 3 : 1, sampleSize: 4 });
  }
  // Probes every 2 s per origin, as the sample's front door does.
  for (let at = start; at < end; at += 2_000) {
    for (const origin of [EAST, WEST]) {
      const down = origin === EAST && at >= outage.from && at < outage.to;
      await frontDoor.write({ type: 'probe', time: new Date(at).toISOString(), origin, method: 'HEAD', path: '/status-0123456789abcdef', success: !down, ...(down ? { error: 'ECONNREFUSED' } : { status: 200 }), durationMs: 1 });
    }
  }

  let correlation = 0;
  const intervalMs = 1000 / rate;
  let devTestAdmittedInMinute = 0;
  let minute = -1;
  for (let i = 0, at = start; at < end; i++, at = start + i * intervalMs) {
    const t = Math.floor(at);
    const pick = i % 20;
    const consumer = pick < 14 ? 'user-facing' : pick < 18 ? 'critical-ops' : pick === 18 ? 'batch' : 'dev-test';
    const priority = consumer === 'critical-ops' ? 'high' : consumer === 'user-facing' || consumer === 'dev-test' ? 'medium' : 'low';
    const inOutage = t >= outage.from && t < detected;
    const region = t >= detected && t < restored ? WEST : EAST;
    const correlationId = `corr-${++correlation}`;
    const thisMinute = Math.floor((t - start) / 60_000);
    if (thisMinute !== minute) {
      minute = thisMinute;
      devTestAdmittedInMinute = 0;
    }

    if (inOutage) {
      // The primary is down and not yet detected: the front door's connection fails.
      await frontDoor.write({ type: 'request', time: new Date(t + 2).toISOString(), ref: correlationId, method: 'POST', path: '/openai/deployments/gpt-4o/chat/completions', origin: EAST, selection: 'healthy', status: 502, errorInfo: 'OriginConnectionRefused', durationMs: 2 });
      await client.write(clientPoint(t + 2, 2, { status: '502', consumer, priority, fd_origin: EAST, error_origin: 'frontdoor' }));
      continue;
    }

    // Token budget: dev-test (1,000 TPM, 120 tokens a request) is refused by the gateway past it.
    if (consumer === 'dev-test' && devTestAdmittedInMinute + 120 > 1_000) {
      await gatewayLogs.write(gatewayRow({ at: t, correlationId, region, subscription: consumer, status: 429, totalTime: 1, backend: null, backendStatus: null }));
      await client.write(clientPoint(t + 1, 1, { status: '429', consumer, priority, fd_origin: region, error_origin: 'gateway', gateway_reason: 'token-limit', retry_after: '30', remaining_tokens: '0' }));
      await frontDoor.write(requestEvent(t, correlationId, region, 429, 1));
      continue;
    }
    if (consumer === 'dev-test') devTestAdmittedInMinute += 120;

    const pool = backends[region];
    const attempts: { backend: string; kind: 'ptu' | 'payg'; status: number; reason: string }[] = [];
    if (priority === 'low') attempts.push({ backend: pool.payg, kind: 'payg', status: 200, reason: 'ok' });
    else {
      const ptu = pool.ptu[i % 2]!;
      const failing = ptu === 'aoai-eastus-ptu1' && t >= ptuFault.from && t < ptuFault.from + 300;
      const tripped = ptu === 'aoai-eastus-ptu1' && t >= ptuFault.from + 300 && t < ptuFault.from + 30_300;
      // PTU is saturated a fifth of the time: it answers 429 and the pool retries on PAYG.
      const saturated = priority === 'medium' && i % 5 === 0;
      if (tripped) attempts.push({ backend: pool.ptu[(i + 1) % 2]!, kind: 'ptu', status: 200, reason: 'ok' });
      else if (failing) attempts.push({ backend: ptu, kind: 'ptu', status: 500, reason: 'fault:status' }, { backend: pool.payg, kind: 'payg', status: 200, reason: 'ok' });
      else if (saturated) attempts.push({ backend: ptu, kind: 'ptu', status: 429, reason: 'utilization' }, { backend: pool.payg, kind: 'payg', status: 200, reason: 'ok' });
      else attempts.push({ backend: ptu, kind: 'ptu', status: 200, reason: 'ok' });
    }
    let cursor = t + 1;
    for (const attempt of attempts) {
      const ok = attempt.status === 200;
      await ledger.write({
        type: 'request', seq: ++seq, start: cursor, firstByte: cursor + 20, end: cursor + 40, backend: attempt.backend, region, kind: attempt.kind, deployment: 'gpt-4o', operation: 'chat', stream: false,
        status: attempt.status, reason: attempt.reason, promptTokens: ok ? 40 : 0, completionTokens: ok ? 80 : 0, admissionCost: 120, priority, subscription: consumer, subscriptionKeyFingerprint: null,
        auth: 'bearer', correlationId, requestId: `req-${seq}`, apiVersion: '2024-10-21',
      });
      cursor += 41;
    }
    const last = attempts[attempts.length - 1]!;
    await gatewayLogs.write(gatewayRow({ at: t, correlationId, region, subscription: consumer, status: last.status, totalTime: cursor - t, backend: last.backend, backendStatus: last.status }));
    if (last.status === 200) await llmLogs.write(llmRow({ at: t, correlationId, region }));
    await frontDoor.write(requestEvent(t, correlationId, region, last.status, cursor - t));
    await client.write(clientPoint(cursor + 1, cursor + 1 - t, { status: String(last.status), consumer, priority, fd_origin: region, served_by: last.backend, served_region: region, prompt_tokens: '40', completion_tokens: '80' }));
  }
  for (const lines of [ledger, gatewayLogs, llmLogs, breakerEvents, frontDoor, client]) await lines.close();
  return {
    window: { start, end },
    timeline,
    counts: { gatewayRequests: gatewayLogs.count, ledgerRecords: ledger.count, clientRecords: client.count, frontDoorEvents: frontDoor.count },
  };
}

function clientPoint(endAt: number, durationMs: number, tags: Record<string, string>): unknown {
  const all = { scenario: 'smoke', operation: 'chat', stream: 'false', served_by: '', served_region: '', fd_origin: '', error_origin: '', gateway_reason: '', retry_after: '', remaining_tokens: '', prompt_tokens: '0', completion_tokens: '0', ...tags };
  return { type: 'Point', metric: 'spillway_request', data: { time: new Date(endAt).toISOString(), value: durationMs, tags: all } };
}

function requestEvent(at: number, ref: string, origin: string, status: number, durationMs: number): unknown {
  return { type: 'request', time: new Date(at + durationMs).toISOString(), ref, method: 'POST', path: '/openai/deployments/gpt-4o/chat/completions', origin, selection: 'healthy', status, errorInfo: 'NoError', durationMs };
}

function gatewayRow(args: { at: number; correlationId: string; region: string; subscription: string; status: number; totalTime: number; backend: string | null; backendStatus: number | null }): unknown {
  return {
    TimeGenerated: new Date(args.at).toISOString(), CorrelationId: args.correlationId, Region: args.region, ApiId: 'azure-openai', ApiRevision: '1', OperationId: 'ChatCompletions_Create', OperationName: 'ChatCompletions_Create',
    ProductId: 'ai-gateway', ApimSubscriptionId: args.subscription, UserId: null, BackendId: args.backend, BackendUrl: args.backend ? `https://${args.backend}.openai.azure.com/openai/deployments/gpt-4o/chat/completions` : null,
    BackendMethod: args.backend ? 'POST' : null, BackendProtocol: args.backend ? 'HTTP/1.1' : null, BackendResponseCode: args.backendStatus, BackendTime: args.backend ? args.totalTime : null, ResponseCode: args.status,
    ResponseSize: 600, RequestSize: 300, TotalTime: args.totalTime, ClientTime: 0, IsRequestSuccess: args.status >= 200 && args.status < 400, LastErrorReason: null, LastErrorMessage: null, LastErrorSource: null,
    LastErrorSection: null, LastErrorScope: null, LastErrorElapsed: null, Method: 'POST', Url: 'http://gateway/openai/deployments/gpt-4o/chat/completions', Cache: 'none', CallerIpAddress: '127.0.0.1',
    ClientProtocol: 'HTTP/1.1', Errors: null, TraceRecords: null, Category: 'GatewayLogs', Type: 'ApiManagementGatewayLogs',
  };
}

function llmRow(args: { at: number; correlationId: string; region: string }): unknown {
  return {
    TimeGenerated: new Date(args.at).toISOString(), CorrelationId: args.correlationId, Region: args.region, RequestId: args.correlationId, ApiVersion: '2024-10-21', OperationName: 'ChatCompletions_Create',
    DeploymentName: 'gpt-4o', ModelName: 'gpt-4o', PromptTokens: 40, CompletionTokens: 80, TotalTokens: 120, IsStreamCompletion: false, SequenceNumber: 0, Category: 'GatewayLlmLogs', Type: 'ApiManagementGatewayLlmLog',
  };
}
