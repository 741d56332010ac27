/**
 * The preflight every target makes before any load: the gateway answers its health check (a
 * configurable path, APIM's status endpoint by default, or none), then one real request per API
 * the plan calls goes through the gateway and must show up in the fleet's ledger. The ledger
 * proves the wiring: a gateway that answers 200 from a cache, a stub or the wrong upstream, or
 * refuses every key, is refused here, before a minute of load is spent on it, with a message
 * that names what was checked.
 */
import { randomUUID } from 'node:crypto';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { networkReason } from './fleet-control-client.ts';

/** APIM's own health endpoint (what Azure Front Door probes on an APIM origin). */
export const apimHealthPath = '/status-0123456789abcdef';

export class PreflightError extends UserFacingError {}

/** One request per API the plan calls. */
export interface PreflightProbe {
  operation: 'chat' | 'embeddings';
  deployment: string;
  apiVersion: string;
  /** The subscription key of a consumer the plan sends as (never printed). */
  key: string;
  consumer: string;
  /** Where the API is mounted before /openai (the plan's apiBasePath), '' at the root. */
  apiBasePath?: string;
}

/** How the target finds a request in its fleet's ledger. */
export type LedgerLookup = (match: { marker: string; requestId: string | null }) => Promise<PreflightRecord | null>;

/** The ledger record a preflight request left: the run leaves it (and its retries) out of the evidence. */
export interface PreflightRecord {
  backend: string;
  status: number;
  /** Why the backend answered as it did (the ledger's reason: ok, utilization, not-found, ...). */
  reason?: string;
  requestId: string;
  correlationId: string | null;
}

export interface PreflightSpec {
  entryUrl: string;
  /** Path to GET until it answers 200; null: no health check. */
  healthPath: string | null;
  probes: readonly PreflightProbe[];
  findInLedger: LedgerLookup;
  /** How long the health check keeps trying (the target may still be starting). Default 5 s. */
  healthWaitMs?: number;
  /** How long a probe's ledger record may take to appear (an attached fleet is polled). Default 3 s. */
  ledgerWaitMs?: number;
  /** Headers every probe also sends (the preflight's run marker, for a gateway whose logs are read). */
  headers?: Record<string, string>;
  say?: (line: string) => void;
}

/** The marker header: the Azure SDKs send x-ms-client-request-id, and the fleet records it when the gateway sets no correlation id of its own. */
export const preflightMarkerPrefix = 'spillway-preflight-';

export async function preflight(spec: PreflightSpec): Promise<PreflightRecord[]> {
  const say = spec.say ?? (() => undefined);
  const found: PreflightRecord[] = [];
  if (spec.healthPath !== null) await waitHealthy(spec.entryUrl, spec.healthPath, spec.healthWaitMs ?? 5_000);
  for (const probe of spec.probes) {
    const marker = `${preflightMarkerPrefix}${randomUUID()}`;
    const path = probe.operation === 'chat' ? 'chat/completions' : 'embeddings';
    const url = `${spec.entryUrl}${probe.apiBasePath ?? ''}/openai/deployments/${encodeURIComponent(probe.deployment)}/${path}?api-version=${encodeURIComponent(probe.apiVersion)}`;
    const body = probe.operation === 'chat' ? { messages: [{ role: 'user', content: 'Spillway preflight: one request to prove the gateway reaches the fleet.' }], max_tokens: 5 } : { input: 'Spillway preflight' };
    const what = `POST ${url} (as ${probe.consumer})`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { ...spec.headers, 'api-key': probe.key, 'content-type': 'application/json', 'x-ms-client-request-id': marker },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new PreflightError(`preflight: ${what} got no answer (${networkReason(error)}); nothing was sent to load the gateway`);
    }
    // A gateway (or a stub) may echo the request, key and all: the key never reaches a message.
    const text = redact(await response.text().catch(() => ''), spec.probes.map((p) => p.key));
    const requestId = response.headers.get('x-request-id');
    const record = await waitFor(() => spec.findInLedger({ marker, requestId }), spec.ledgerWaitMs ?? 3_000);
    if (record && record.status >= 400 && record.status < 500 && record.status !== 429) {
      // It reached the fleet, but not as the load will need: a rewritten path or deployment, a
      // key the backend refuses, a body it cannot read. A minute of such load judges nothing.
      throw new PreflightError(
        `preflight: ${what} reached ${record.backend}, which answered ${record.status}${record.reason ? ` (${record.reason})` : ''}: ` +
          `the gateway does not pass the request on as Azure OpenAI expects it (path, deployment "${probe.deployment}", api-version ${probe.apiVersion}, api-key header, body); nothing was sent to load the gateway`,
      );
    }
    if (!record && (response.status === 401 || response.status === 403)) {
      // The gateway itself refused: the key (or the subscription's product, or its state).
      throw new PreflightError(
        `preflight: ${what} was refused by the gateway with ${response.status}${text ? ` (${excerpt(text)})` : ''}: the subscription key of ${probe.consumer} is not accepted ` +
          '(a wrong or regenerated key, a suspended subscription, or a product that does not include this API); nothing was sent to load the gateway',
      );
    }
    if (!record) {
      throw new PreflightError(
        `preflight: ${what} was answered ${response.status}${text ? ` (${excerpt(text)})` : ''}, but no backend of the fleet received it: ` +
          `the fleet's ledger has no request with x-ms-client-request-id ${marker}${requestId ? ` or x-request-id ${requestId}` : ''}. ` +
          'Point the gateway at the fleet\'s backend endpoints (spillway fleet up --json lists them) and let it pass x-ms-client-request-id through; nothing was sent to load the gateway',
      );
    }
    say(`preflight: ${probe.operation} through the gateway reached ${record.backend} (answered ${record.status}, client saw ${response.status})`);
    found.push(record);
  }
  return found;
}

async function waitHealthy(entryUrl: string, healthPath: string, waitMs: number): Promise<void> {
  const url = `${entryUrl}${healthPath}`;
  const deadline = Date.now() + waitMs;
  let last = '';
  do {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = networkReason(error);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  } while (Date.now() < deadline);
  throw new PreflightError(
    `preflight: the gateway at ${entryUrl} does not answer its health check GET ${healthPath} (${last}); ` +
      `set --health-path to the path it answers 200 on, or --health-path none to skip the check; nothing was sent`,
  );
}

async function waitFor<T>(find: () => Promise<T | null>, waitMs: number): Promise<T | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await find();
    if (found !== null || Date.now() >= deadline) return found;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}


/** The text with every secret replaced, so an echoing gateway cannot put one into a message. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('[redacted]');
  return out;
}

/** The start of a response body, on one line, for a message (an error body, never a key). */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
