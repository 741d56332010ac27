/**
 * The requests an http probe sends itself (its `request`), as Chaos Toolkit's http probes do:
 * one after another through the gateway, with the consumer's subscription key (the key the
 * target gives k6; it goes in the `api-key` header and nowhere else: not the journal, not a
 * message), the consumer's priority header, and the run's marker, so the gateway's rows of them
 * are the run's. What each got back becomes a client record the http probe judges as it judges
 * k6's: its status (0 when no answer came in time, as k6 counts it) and its duration.
 */
import type { ClientRecord } from '../contracts/client-record.ts';
import type { K6Config, ScenarioPlan } from '../run/scenario-plan.ts';
import { runMarkerHeader } from '../../scenarios/lib/requests.ts';
import type { HttpProbe } from './drill-file.ts';

export type ProbeRequest = NonNullable<HttpProbe['request']>;

export interface ProbeRequestTarget {
  baseUrl: string;
  keyFor(consumer: string): string;
  runId: string;
}

/** The URL a probe's request goes to: its path, or the plan's chat completions. */
export function probeRequestUrl(request: ProbeRequest, baseUrl: string, plan: Pick<ScenarioPlan, 'deployment' | 'apiVersion'>): string {
  return `${baseUrl}${request.path ?? `/openai/deployments/${encodeURIComponent(plan.deployment)}/chat/completions?api-version=${encodeURIComponent(plan.apiVersion)}`}`;
}

export async function sendProbeRequests(request: ProbeRequest, to: ProbeRequestTarget, plan: Pick<ScenarioPlan, 'name' | 'deployment' | 'apiVersion'>, config: K6Config): Promise<ClientRecord[]> {
  const url = probeRequestUrl(request, to.baseUrl, plan);
  const priority = config.consumers[request.consumer]?.priority ?? 'none';
  const headers: Record<string, string> = { 'api-key': to.keyFor(request.consumer), [runMarkerHeader]: to.runId };
  if (priority !== 'none') headers['X-Priority'] = priority;
  const body = request.method === 'POST' ? JSON.stringify(request.body ?? { messages: [{ role: 'user', content: 'Spillway drill probe: are you answering?' }], max_tokens: 5 }) : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const records: ClientRecord[] = [];
  for (let i = 0; i < request.count; i++) {
    if (i > 0 && request.intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, request.intervalMs));
    const started = Date.now();
    let status = 0;
    try {
      const response = await fetch(url, { method: request.method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(request.timeoutMs) });
      status = response.status;
      await response.arrayBuffer();
    } catch {
      status = 0;
    }
    const durationMs = Date.now() - started;
    records.push(ownRecord(plan.name, request.consumer, priority, started, status, durationMs));
  }
  return records;
}

function ownRecord(scenario: string, consumer: string, priority: string, time: number, status: number, durationMs: number): ClientRecord {
  return {
    time,
    durationMs,
    status,
    scenario,
    consumer,
    priority,
    operation: 'chat',
    stream: false,
    servedBy: '',
    servedRegion: '',
    frontDoorOrigin: '',
    errorOrigin: '',
    gatewayReason: '',
    retryAfter: '',
    remainingTokens: '',
    promptTokens: 0,
    completionTokens: 0,
  } as ClientRecord;
}
