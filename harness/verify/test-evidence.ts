/**
 * Builds small synthetic run evidence for the verifiers' unit tests: ledger records, gateway
 * log rows, LLM log rows, client records, fault changes, breaker and front door events, all
 * on one clock starting at T0, with the sample's backends and expectations. Times are given as
 * offsets in ms from T0.
 */
import type { FaultRule } from '../contracts/fault-rule.ts';
import type { FaultChangeRecord, LedgerReason, RequestRecord } from '../contracts/ledger-record.ts';
import type { GatewayLogRow, LlmLogRow } from '../contracts/gateway-log-rows.ts';
import type { FrontDoorEvent } from '../contracts/front-door-events.ts';
import type { AppliedFault, ClientRecord, RunEvidence } from '../evidence/evidence-types.ts';
import { evidenceKinds, type EvidenceKind } from '../contracts/evidence.ts';
import { withheld } from './evidence-sources.ts';
import type { Expectations } from './expectations.ts';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
export const EAST = 'East US';
export const WEST = 'West US';

export const BACKENDS = {
  'aoai-eastus-ptu1': { region: EAST, kind: 'ptu' },
  'aoai-eastus-ptu2': { region: EAST, kind: 'ptu' },
  'aoai-eastus-payg': { region: EAST, kind: 'payg' },
  'aoai-westus-ptu1': { region: WEST, kind: 'ptu' },
  'aoai-westus-ptu2': { region: WEST, kind: 'ptu' },
  'aoai-westus-payg': { region: WEST, kind: 'payg' },
} as const satisfies Record<string, { region: string; kind: 'ptu' | 'payg' }>;
export type BackendName = keyof typeof BACKENDS;

/** The fleet's capacity per backend in the synthetic runs (RunEvidence.fleet): PTU 9,000 TPM each, PAYG 100,000. */
export const SAMPLE_CAPACITY_TPM = { ptu: 9_000, payg: 100_000 } as const;

/** The sample's expectations: the sample's backends, the seed breaker everywhere. */
export function sampleExpectations(overrides: Partial<Expectations> = {}): Expectations {
  const breaker = { count: 3, intervalMs: 10_000, tripDurationMs: 30_000, acceptRetryAfter: true };
  return {
    backends: Object.entries(BACKENDS).map(([name, b]) => ({ name, region: b.region, kind: b.kind })),
    breakers: Object.fromEntries(Object.keys(BACKENDS).map((name) => [name, { ...breaker }])),
    regions: [EAST, WEST],
    frontDoor: { probeIntervalSeconds: 5, sampleSize: 4, successfulSamplesRequired: 3 },
    consumers: {
      'critical-ops': { tokensPerMinute: 50_000, priority: 'high' },
      'user-facing': { tokensPerMinute: 20_000, priority: 'medium' },
      batch: { tokensPerMinute: 5_000, priority: 'low' },
      'dev-test': { tokensPerMinute: 1_000, priority: 'low' },
    },
    tolerances: { tripDurationMs: 1_000, tokenLimitRelative: 0.1, spilloverShare: 0.1 },
    ...overrides,
  };
}

export interface AttemptSpec {
  backend: BackendName;
  status?: number;
  reason?: LedgerReason;
  /** Offset of the attempt's start from the gateway request's start, ms; default: after the previous attempt. */
  offset?: number;
  durationMs?: number;
  promptTokens?: number;
  completionTokens?: number;
}

export interface GatewayRequestSpec {
  /** Start, ms after T0. */
  at: number;
  /** The gateway instance; default the first attempt's backend region (or East US). */
  region?: string;
  subscription?: string;
  /** X-Priority the backends received; default the subscription class's. */
  priority?: string | null;
  attempts?: AttemptSpec[];
  /** Final status to the client; default the last attempt's status (503 with no attempt). */
  status?: number;
  /** Write the gateway log row (default true). */
  logged?: boolean;
  /** The BackendId the log row names; default the last attempt's backend (the entity named like its resource). */
  backendId?: string | null;
  /** Write an LLM log row when the answer was 2xx (default true). */
  llm?: boolean;
  deployment?: string;
}

const classPriority: Record<string, string> = { 'critical-ops': 'high', 'user-facing': 'medium', batch: 'low', 'dev-test': 'low' };

export class EvidenceBuilder {
  readonly start: number;
  end: number;
  readonly ledger: RequestRecord[] = [];
  readonly faultChanges: FaultChangeRecord[] = [];
  readonly gatewayLogs: GatewayLogRow[] = [];
  readonly llmLogs: LlmLogRow[] = [];
  readonly client: ClientRecord[] = [];
  readonly breakerEvents: RunEvidence['breakerEvents'] = [];
  readonly frontDoorEvents: FrontDoorEvent[] = [];
  readonly timeline: AppliedFault[] = [];
  #seq = 0;
  #correlation = 0;

  constructor(options: { durationMs?: number } = {}) {
    this.start = T0;
    this.end = T0 + (options.durationMs ?? 90_000);
  }

  /** One backend request as the ledger records it. `at` is ms after T0. */
  request(spec: { at: number; backend: BackendName | string; durationMs?: number } & Partial<Omit<RequestRecord, 'start' | 'end' | 'backend'>>): RequestRecord {
    const info = (BACKENDS as Record<string, { region: string; kind: 'ptu' | 'payg' }>)[spec.backend] ?? { region: EAST, kind: 'ptu' as const };
    const start = T0 + spec.at;
    const status = spec.status ?? 200;
    const { at: _at, durationMs, ...rest } = spec;
    const record: RequestRecord = {
      type: 'request',
      seq: ++this.#seq,
      start,
      firstByte: start + 10,
      end: start + (durationMs ?? 200),
      region: info.region,
      kind: info.kind,
      deployment: 'gpt-4o',
      operation: 'chat',
      stream: false,
      status,
      reason: status === 200 ? 'ok' : status === 429 ? (info.kind === 'ptu' ? 'utilization' : 'tpm') : 'fault:status',
      promptTokens: status === 200 ? 40 : 0,
      completionTokens: status === 200 ? 80 : 0,
      admissionCost: 0,
      priority: null,
      subscription: null,
      subscriptionKeyFingerprint: null,
      auth: 'bearer',
      correlationId: null,
      requestId: `req-${this.#seq}`,
      apiVersion: '2024-10-21',
      ...rest,
      backend: spec.backend,
    };
    this.ledger.push(record);
    return record;
  }

  /**
   * One gateway request: its log row, its backend attempts (sharing the correlation id, as the
   * sample's retries do) and, for a 2xx answer, its LLM log row. Returns the correlation id.
   */
  gatewayRequest(spec: GatewayRequestSpec): { correlationId: string; attempts: RequestRecord[]; row: GatewayLogRow } {
    const correlationId = `corr-${String(++this.#correlation).padStart(5, '0')}`;
    const subscription = spec.subscription ?? 'user-facing';
    const priority = spec.priority === undefined ? (classPriority[subscription] ?? 'medium') : spec.priority;
    const attemptsSpec = spec.attempts ?? [];
    const firstBackend = attemptsSpec[0]?.backend;
    const region = spec.region ?? (firstBackend ? BACKENDS[firstBackend].region : EAST);
    let cursor = spec.at + 2;
    const attempts: RequestRecord[] = [];
    for (const a of attemptsSpec) {
      const at = a.offset !== undefined ? spec.at + a.offset : cursor;
      const durationMs = a.durationMs ?? 200;
      const status = a.status ?? 200;
      attempts.push(
        this.request({
          at,
          backend: a.backend,
          durationMs,
          status,
          ...(a.reason ? { reason: a.reason } : {}),
          promptTokens: a.promptTokens ?? (status === 200 ? 40 : 0),
          completionTokens: a.completionTokens ?? (status === 200 ? 80 : 0),
          priority,
          subscription,
          correlationId,
          deployment: spec.deployment ?? 'gpt-4o',
        }),
      );
      cursor = at + durationMs + 1;
    }
    const last = attempts[attempts.length - 1];
    const status = spec.status ?? last?.status ?? 503;
    const row = gatewayRow({ at: spec.at, correlationId, region, subscription, status, totalTime: cursor - spec.at, backend: spec.backendId !== undefined ? spec.backendId : (last?.backend ?? null), backendStatus: last?.status ?? null });
    if (spec.logged !== false) this.gatewayLogs.push(row);
    if (status >= 200 && status < 300 && spec.llm !== false && last) {
      this.llmLogs.push(llmRow({ at: spec.at, correlationId, region, promptTokens: last.promptTokens, completionTokens: last.completionTokens, deployment: spec.deployment ?? 'gpt-4o' }));
    }
    return { correlationId, attempts, row };
  }

  /** One client record; `at` is the request's start (ms after T0), the record's time its end. */
  clientRequest(spec: { at: number; durationMs?: number } & Partial<Omit<ClientRecord, 'time' | 'durationMs'>>): ClientRecord {
    const durationMs = spec.durationMs ?? 300;
    const { at, durationMs: _d, ...rest } = spec;
    const status = spec.status ?? 200;
    const record: ClientRecord = {
      time: T0 + at + durationMs,
      durationMs,
      status,
      scenario: 'test',
      consumer: 'user-facing',
      priority: '',
      operation: 'chat',
      stream: false,
      servedBy: status === 200 ? 'aoai-eastus-ptu1' : '',
      servedRegion: status === 200 ? EAST : '',
      frontDoorOrigin: EAST,
      errorOrigin: status >= 400 || status === 0 ? 'gateway' : '',
      gatewayReason: '',
      retryAfter: '',
      remainingTokens: '',
      promptTokens: status === 200 ? 40 : 0,
      completionTokens: status === 200 ? 80 : 0,
      ...rest,
    };
    this.client.push(record);
    return record;
  }

  /** A fleet fault injected at `at` and cleared at `until` (ms after T0), labelled with the step id. */
  fleetFault(spec: { id: string; at: number; until?: number; kind?: FaultRule['kind']; status?: number; retryAfterSeconds?: number; target: FaultRule['target']; applied?: boolean }): FaultRule {
    const rule: FaultRule = {
      kind: spec.kind ?? 'status',
      target: spec.target,
      rate: 1,
      ...(spec.status !== undefined ? { status: spec.status } : spec.kind === undefined || spec.kind === 'status' ? { status: 500 } : {}),
      ...(spec.retryAfterSeconds !== undefined ? { retryAfterSeconds: spec.retryAfterSeconds } : {}),
      ...(spec.until !== undefined ? { durationMs: spec.until - spec.at } : {}),
      label: spec.id,
      id: `rule-${spec.id}`,
      createdAt: T0 + spec.at,
      expiresAt: spec.until !== undefined ? T0 + spec.until : null,
    };
    const applied = spec.applied !== false;
    if (applied) {
      this.faultChanges.push({ type: 'fault', seq: ++this.#seq, at: T0 + spec.at, action: 'inject', rule });
      if (spec.until !== undefined) this.faultChanges.push({ type: 'fault', seq: ++this.#seq, at: T0 + spec.until, action: 'expire', rule });
    }
    const { kind, status, retryAfterSeconds, target } = rule;
    this.timeline.push({
      id: spec.id,
      step: { id: spec.id, at: spec.at / 1000, kind: 'fleet-fault', fault: { kind, target, ...(status !== undefined ? { status } : {}), ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) } },
      atSeconds: spec.at / 1000,
      action: 'fleet',
      target: spec.target.backend ?? spec.target.region ?? '',
      appliedAt: applied ? T0 + spec.at : null,
      clearedAt: applied && spec.until !== undefined ? T0 + spec.until : null,
    });
    return rule;
  }

  /** A regionDown step applied at `at` and cleared at `until` (ms after T0); null times model a step that never applied. */
  regionDown(spec: { id: string; region: string; at: number; until?: number; applied?: boolean }): AppliedFault {
    const applied = spec.applied !== false;
    const step: AppliedFault = {
      id: spec.id,
      step: { id: spec.id, at: spec.at / 1000, kind: 'region-down', region: spec.region },
      atSeconds: spec.at / 1000,
      action: 'region-down',
      target: spec.region,
      appliedAt: applied ? T0 + spec.at : null,
      clearedAt: applied && spec.until !== undefined ? T0 + spec.until : null,
      ...(applied ? {} : { error: 'the gateway did not stop' }),
    };
    this.timeline.push(step);
    return step;
  }

  breakerEvent(spec: { type: 'Opened' | 'Closed'; backend: string; region: string; at: number }): void {
    const eventType = `Microsoft.ApiManagement.CircuitBreaker.${spec.type}` as const;
    this.breakerEvents.push({
      id: `${eventType}:${spec.backend}:${T0 + spec.at}`,
      eventType,
      subject: `/backends/${spec.backend}/circuit-breaker/rules/aoai-throttling-and-server-errors`,
      eventTime: new Date(T0 + spec.at).toISOString(),
      region: spec.region,
      data: { backendName: spec.backend, circuitBreaker: { rules: { 'aoai-throttling-and-server-errors': { tripDuration: '00:00:30' } } } },
      dataVersion: '1',
      metadataVersion: '1',
    });
  }

  healthEvent(spec: { origin: string; healthy: boolean; at: number }): void {
    this.frontDoorEvents.push({ type: 'health', time: new Date(T0 + spec.at).toISOString(), origin: spec.origin, healthy: spec.healthy, successes: spec.healthy ? 3 : 2, sampleSize: 4 });
  }

  frontDoorRequest(spec: { origin?: string; at: number; durationMs?: number; status?: number; errorInfo?: string }): void {
    const durationMs = spec.durationMs ?? 100;
    this.frontDoorEvents.push({
      type: 'request',
      time: new Date(T0 + spec.at + durationMs).toISOString(),
      ref: `ref-${this.frontDoorEvents.length}`,
      method: 'POST',
      path: '/openai/deployments/gpt-4o/chat/completions',
      ...(spec.origin ? { origin: spec.origin, selection: 'healthy' as const } : {}),
      status: spec.status ?? 200,
      errorInfo: spec.errorInfo ?? 'NoError',
      durationMs,
    });
  }

  /** The fleet's capacities in this run (RunEvidence.fleet); default SAMPLE_CAPACITY_TPM, null: unknown. */
  fleet: RunEvidence['fleet'] = {
    deployment: 'gpt-4o',
    backends: Object.entries(BACKENDS).map(([name, b]) => ({ name, region: b.region, kind: b.kind, capacityTpm: SAMPLE_CAPACITY_TPM[b.kind] })),
  };

  build(): RunEvidence {
    return {
      window: { start: this.start, end: this.end },
      fleet: this.fleet,
      client: this.client,
      ledger: this.ledger,
      faultChanges: this.faultChanges,
      gatewayLogs: this.gatewayLogs,
      llmLogs: this.llmLogs,
      breakerEvents: this.breakerEvents,
      frontDoorEvents: this.frontDoorEvents,
      timeline: this.timeline,
      files: {
        client: 'k6-results.json',
        ledger: 'fleet-ledger.jsonl',
        gatewayLogs: 'ApiManagementGatewayLogs.jsonl',
        llmLogs: 'ApiManagementGatewayLlmLog.jsonl',
        breakerEvents: 'circuit-breaker-events.jsonl',
        frontDoorEvents: 'front-door-events.jsonl',
        k6Summary: 'k6-summary.json',
      },
      sources: evidenceKinds.map((kind) => ({ kind, status: 'collected' as const })),
    };
  }
}

/** What a gateway keeps of its own (Spillway's emulator does; nginx in front of the fleet keeps none of it). */
export const GATEWAY_OWN_KINDS = ['gatewayLogs', 'llmLogs', 'breakerEvents', 'frontDoorEvents'] as const satisfies readonly EvidenceKind[];

/**
 * The same run as a target without `kinds` would have brought it: their rows gone, their
 * sources absent. Default: a gateway somebody else wrote, with the fleet ledger and the client
 * records only.
 */
export function without(evidence: RunEvidence, kinds: readonly EvidenceKind[] = GATEWAY_OWN_KINDS): RunEvidence {
  return withheld(evidence, kinds, (source) => `this target does not bring ${source.kind}`);
}

function gatewayRow(args: { at: number; correlationId: string; region: string; subscription: string; status: number; totalTime: number; backend: string | null; backendStatus: number | null }): GatewayLogRow {
  return {
    TimeGenerated: new Date(T0 + args.at).toISOString(),
    CorrelationId: args.correlationId,
    Region: args.region,
    ApiId: 'azure-openai',
    ApiRevision: '1',
    OperationId: 'ChatCompletions_Create',
    OperationName: 'ChatCompletions_Create',
    ProductId: 'ai-gateway',
    ApimSubscriptionId: args.subscription,
    UserId: null,
    BackendId: args.backend,
    BackendUrl: args.backend ? `https://${args.backend}.openai.azure.com/openai/deployments/gpt-4o/chat/completions` : null,
    BackendMethod: args.backend ? 'POST' : null,
    BackendProtocol: args.backend ? 'HTTP/1.1' : null,
    BackendResponseCode: args.backendStatus,
    BackendTime: args.backend ? args.totalTime : null,
    ResponseCode: args.status,
    ResponseSize: 100,
    RequestSize: 100,
    TotalTime: args.totalTime,
    ClientTime: 0,
    IsRequestSuccess: args.status >= 200 && args.status < 400,
    LastErrorReason: null,
    LastErrorMessage: null,
    LastErrorSource: null,
    LastErrorSection: null,
    LastErrorScope: null,
    LastErrorElapsed: null,
    Method: 'POST',
    Url: 'http://gateway/openai/deployments/gpt-4o/chat/completions',
    Cache: 'none',
    CallerIpAddress: '127.0.0.1',
    ClientProtocol: 'HTTP/1.1',
    Errors: null,
    TraceRecords: null,
    Category: 'GatewayLogs',
    Type: 'ApiManagementGatewayLogs',
  };
}

function llmRow(args: { at: number; correlationId: string; region: string; promptTokens: number; completionTokens: number; deployment: string }): LlmLogRow {
  return {
    TimeGenerated: new Date(T0 + args.at).toISOString(),
    CorrelationId: args.correlationId,
    Region: args.region,
    RequestId: args.correlationId,
    ApiVersion: '2024-10-21',
    OperationName: 'ChatCompletions_Create',
    DeploymentName: args.deployment,
    ModelName: 'gpt-4o',
    PromptTokens: args.promptTokens,
    CompletionTokens: args.completionTokens,
    TotalTokens: args.promptTokens + args.completionTokens,
    IsStreamCompletion: false,
    SequenceNumber: 0,
    Category: 'GatewayLlmLogs',
    Type: 'ApiManagementGatewayLlmLog',
  };
}
