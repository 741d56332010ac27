import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayLogRow } from '../contracts/gateway-log-rows.ts';
import type { RequestRecord } from '../contracts/ledger-record.ts';
import { timelineStepSchema, type StepOf } from '../contracts/scenario-plan.ts';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-scenario.ts';
import { loadK6Config, scenarioPlan } from '../run/scenario-plan.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { startEmbeddedTopology, type EmbeddedTopology } from '../targets/embedded-topology.ts';
import { networkInjector } from '../targets/network-injector.ts';
import { apimHealthPath } from '../targets/preflight.ts';
import { toxiproxyForTests } from './toxiproxy-test-support.ts';

/**
 * Each Toxiproxy toxic on a real link of the embedded topology (gateway emulator → fleet, or
 * client → regional gateway), with no k6: requests go straight to the East US gateway (the plan
 * enters at the primary region, through that gateway's proxy), and each test asserts what the
 * fleet's ledger, the gateway's log rows and the client saw while the toxic was on.
 *
 * Timings are only ever lower bounds the toxic itself guarantees (a 400 ms latency toxic cannot
 * deliver sooner than 400 ms), never how fast something was.
 */
const toxiproxy = await toxiproxyForTests();

type Link = StepOf<'network'>['link'];
const completionTokens = 40;
const eastBackends: Link = { to: 'region-backends', region: 'East US' };
const eastGateway: Link = { to: 'gateway', region: 'East US' };

interface ClientSaw {
  status: number | null;
  body: string;
  /** Sizes of the body's reads as they arrived. */
  reads: number[];
  elapsedMs: number;
  /** What failed (the connection, or the body mid-way), if anything. */
  error: string | null;
}

describe.skipIf(toxiproxy.binary === null)(`network toxics on the embedded topology's links${toxiproxy.skip ? ` (skipped: ${toxiproxy.skip})` : ''}`, () => {
  let topology: EmbeddedTopology;
  let logsDir: string;
  let dir: string;

  beforeAll(async () => {
    const config = loadK6Config(defaultK6ConfigFile);
    dir = mkdtempSync(join(tmpdir(), 'network-toxics-'));
    logsDir = join(dir, 'gateway-logs');
    const smoke = scenarioPlan(config, 'smoke', defaultK6ConfigFile);
    // A network step is what makes the topology put Toxiproxy on its links; this one never fires.
    const timeline = [timelineStepSchema.parse({ id: 'placeholder', at: 0, kind: 'network', link: eastBackends, toxic: { type: 'down' } })];
    // Every completion the same length, so each answer's size (which bandwidth and limit_data act on) is known.
    const base = loadTopologyFile(defaultTopologyPath);
    const fleet = { ...base, resources: base.resources.map((r) => ({ ...r, deployments: r.deployments.map((d) => ({ ...d, completionLength: { kind: 'fixed' as const, tokens: completionTokens } })) })) };
    topology = await startEmbeddedTopology({
      plan: { ...smoke, entry: 'primary-region', timeline },
      topology: fleet,
      configDir: defaultGatewayConfigDir,
      ledgerPath: join(dir, 'fleet-ledger.jsonl'),
      logsDir,
      toxiproxyBinary: toxiproxy.binary!,
      env: {},
    });
  });
  afterAll(async () => {
    await topology?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `during` with the toxic on the link, and always takes it off again. */
  const withToxic = async <T,>(link: Link, toxic: unknown, during: () => Promise<T>, stream: 'downstream' | 'upstream' = 'downstream'): Promise<T> => {
    const step = timelineStepSchema.parse({ id: `toxic-${Math.random().toString(36).slice(2, 8)}`, at: 0, kind: 'network', link, toxic, stream }) as StepOf<'network'>;
    const rollback = await networkInjector(topology.network!)(step);
    try {
      return await during();
    } finally {
      await rollback();
    }
  };

  const chat = async (options: { stream: boolean; maxTokens: number }): Promise<ClientSaw> => {
    const started = Date.now();
    const saw: ClientSaw = { status: null, body: '', reads: [], elapsedMs: 0, error: null };
    try {
      const response = await fetch(`${topology.entryUrl}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'api-key': 'local-user-facing-key', 'x-priority': 'medium' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'tell me a long story' }], max_tokens: options.maxTokens, stream: options.stream }),
      });
      saw.status = response.status;
      const decoder = new TextDecoder();
      const reader = response.body!.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        saw.reads.push(read.value.byteLength);
        saw.body += decoder.decode(read.value, { stream: true });
      }
    } catch (error) {
      saw.error = String(error instanceof Error && error.cause ? (error.cause as Error).message ?? error.cause : error);
    }
    saw.elapsedMs = Date.now() - started;
    return saw;
  };

  const ledgerSince = (seq: number): RequestRecord[] => topology.fleet.ledger.read(seq, 10_000).records.filter((r): r is RequestRecord => r.type === 'request');

  /** The gateway's log rows since `since` (epoch ms), waiting until `count` of them reach the file (rows are written in batches). */
  const gatewayRowsSince = async (since: number, count: number): Promise<GatewayLogRow[]> => {
    const file = join(logsDir, 'ApiManagementGatewayLogs.jsonl');
    for (let waited = 0; ; waited += 100) {
      const rows = existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => JSON.parse(line) as GatewayLogRow)
            .filter((row) => Date.parse(row.TimeGenerated ?? '') >= since)
        : [];
      if (rows.length >= count || waited > 10_000) return rows;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('latency: every answer from the backends arrives at least latencyMs later than the backend sent it', async () => {
    const latencyMs = 400;
    const seq = topology.fleet.ledger.lastSeq;
    const since = Date.now();
    const saw = await withToxic(eastBackends, { type: 'latency', latencyMs }, () => chat({ stream: false, maxTokens: 20 }));
    expect(saw.status).toBe(200);
    expect(saw.elapsedMs).toBeGreaterThanOrEqual(latencyMs);
    const [record] = ledgerSince(seq);
    expect(record).toMatchObject({ status: 200, region: 'East US' });
    // The backend answered in its own time; the gateway waited that plus the toxic's latency.
    const row = (await gatewayRowsSince(since, 1)).find((r) => r.CorrelationId === record!.correlationId);
    expect(row, 'the gateway row of the request the ledger recorded').toBeDefined();
    expect(row!.BackendTime).toBeGreaterThanOrEqual(record!.end - record!.start + latencyMs - 2);
  });

  it('bandwidth: a large streamed answer arrives no faster than the rate allows, and whole', async () => {
    const rateKBps = 10;
    const seq = topology.fleet.ledger.lastSeq;
    const saw = await withToxic(eastBackends, { type: 'bandwidth', rateKBps }, () => chat({ stream: true, maxTokens: completionTokens }));
    expect(saw.error).toBeNull();
    expect(saw.status).toBe(200);
    expect(saw.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const bytes = Buffer.byteLength(saw.body);
    expect(bytes).toBeGreaterThan(10_000);
    // Toxiproxy holds each chunk for its size over the rate (KB = 1,000 bytes); the backend sent at least the body the client got.
    expect(saw.elapsedMs).toBeGreaterThanOrEqual(bytes / rateKBps);
    const [record] = ledgerSince(seq);
    expect(record).toMatchObject({ status: 200, stream: true });
  });

  for (const toxic of [
    { type: 'timeout', timeoutMs: 100 },
    { type: 'reset_peer', timeoutMs: 0 },
  ] as const) {
    it(`${toxic.type}: the gateway sees a connection failure and answers the client 500`, async () => {
      const since = Date.now();
      const saw = await withToxic(eastBackends, toxic, () => chat({ stream: false, maxTokens: 20 }));
      expect(saw.status).toBe(500);
      const rows = await gatewayRowsSince(since, 1);
      expect(rows.map((r) => [r.ResponseCode, r.BackendResponseCode, r.LastErrorReason])).toEqual([[500, null, 'BackendConnectionFailure']]);
      expect(rows[0]!.BackendId).toMatch(/^aoai-eastus-/);
    });
  }

  it('slicer: the client gets the stream in small pieces, and the stream is still complete', async () => {
    const [averageSize, sizeVariation] = [24, 8];
    const saw = await withToxic(eastGateway, { type: 'slicer', averageSize, sizeVariation, delayMicroseconds: 500 }, () => chat({ stream: true, maxTokens: 40 }));
    expect(saw.error).toBeNull();
    expect(saw.status).toBe(200);
    expect(saw.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // Every SSE event is one JSON object, none cut apart in the reassembled stream.
    for (const event of saw.body.split('\n\n').filter((e) => e.startsWith('data: {'))) expect(() => JSON.parse(event.slice('data: '.length))).not.toThrow();
    // The median read is a slice (a read may join two slices, never often enough to move the median).
    const sorted = [...saw.reads].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]!).toBeLessThanOrEqual(averageSize + sizeVariation);
  });

  it('limit_data: the backend sent a whole answer (the ledger says 200), the client got a truncated stream', async () => {
    const bytes = 2_000;
    const seq = topology.fleet.ledger.lastSeq;
    const saw = await withToxic(eastBackends, { type: 'limit_data', bytes }, () => chat({ stream: true, maxTokens: completionTokens }));
    // The gateway had begun streaming: the status is sent, the stream ends early and without [DONE].
    expect(saw.status).toBe(200);
    expect(saw.body.includes('data: [DONE]')).toBe(false);
    expect(Buffer.byteLength(saw.body)).toBeLessThan(bytes);
    const [record] = ledgerSince(seq);
    expect(record).toMatchObject({ status: 200, stream: true, region: 'East US' });
  });

  it('slow_close: the gateway link stays open delayMs after the answer, before it closes', async () => {
    const delayMs = 600;
    const [host, port] = [new URL(topology.entryUrl).hostname, Number(new URL(topology.entryUrl).port)];
    const timings = await withToxic(eastGateway, { type: 'slow_close', delayMs }, () =>
      new Promise<{ lastData: number; closed: number; text: string }>((resolve, reject) => {
        let lastData = 0;
        let text = '';
        const socket = connect(port, host, () => socket.write(`GET ${apimHealthPath} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`));
        socket.on('data', (chunk) => {
          lastData = Date.now();
          text += chunk.toString();
        });
        socket.on('error', reject);
        socket.on('close', () => resolve({ lastData, closed: Date.now(), text }));
      }),
    );
    expect(timings.text).toMatch(/^HTTP\/1\.1 200/);
    expect(timings.closed - timings.lastData).toBeGreaterThanOrEqual(delayMs - 2);
  });

  it('down: connections to the backends are refused, the ledger has no record of the window, and they come back', async () => {
    const seq = topology.fleet.ledger.lastSeq;
    const since = Date.now();
    const during = await withToxic(eastBackends, { type: 'down' }, async () => [await chat({ stream: false, maxTokens: 10 }), await chat({ stream: true, maxTokens: 10 })]);
    expect(during.map((s) => s.status)).toEqual([500, 500]);
    expect(ledgerSince(seq)).toEqual([]);
    const rows = await gatewayRowsSince(since, 2);
    expect(rows.map((r) => r.LastErrorReason)).toEqual(['BackendConnectionFailure', 'BackendConnectionFailure']);
    expect(rows.every((r) => /ECONNREFUSED|ECONNRESET|socket hang up/.test(r.LastErrorMessage ?? ''))).toBe(true);
    // Re-enabled: the next request reaches the backends again.
    const after = await chat({ stream: false, maxTokens: 10 });
    expect(after.status).toBe(200);
    expect(ledgerSince(seq).map((r) => r.region)).toEqual(['East US']);
  });
});
