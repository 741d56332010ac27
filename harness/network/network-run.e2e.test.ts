import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../cli/cli-test-support.ts';
import type { Journal } from '../contracts/journal.ts';
import type { GatewayLogRow } from '../contracts/gateway-log-rows.ts';
import type { RequestRecord } from '../contracts/ledger-record.ts';
import { writeK6ConfigWith } from '../run/test-k6-config.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { toxiproxyForTests } from './toxiproxy-test-support.ts';

/**
 * A `network` step in a real `spillway run` (real k6, the embedded topology on loopback, 20 s):
 * 400 ms of latency on the link into one PTU backend from 6 s to 14 s. The journal records the
 * step as applied and cleared, with the proxy it acted on (its scope); the run's own evidence
 * shows it: while it was on, every answer from that backend reached the gateway at least 400 ms
 * after the backend sent it (the gateway's BackendTime against the ledger's own duration), and
 * the other PTU's answers did not wait for it. Skipped, saying why, without k6 or Toxiproxy.
 */
const k6 = await inspectTool(k6Spec);
const toxiproxy = await toxiproxyForTests();
const skip = k6.status === 'missing' ? `k6 ${k6.wantedVersion} is not provisioned (${k6.reasons.join('; ')})` : toxiproxy.skip;
if (skip) process.stdout.write(`network-run.e2e.test.ts skipped: ${skip}\n`);

const dir = mkdtempSync(join(tmpdir(), 'spillway-network-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const latencyMs = 400;
const [at, lasts] = [6, 8];
const readJsonl = <T,>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);

describe.skipIf(skip !== null)('a network latency step in spillway run', () => {
  it('is applied, cleared and recorded with its proxy, and the gateway waited on that backend only while it was on', { timeout: 120_000 }, async () => {
    const configFile = writeK6ConfigWith(dir, {
      'ptu1-slow-link': {
        description: 'medium traffic through the front door; the link into aoai-eastus-ptu1 gets 400 ms of latency from 6 s to 14 s',
        script: 'smoke',
        durationSeconds: 20,
        traffic: [{ consumer: 'user-facing', ratePerUnit: 4, maxTokens: { kind: 'fixed', value: 20 } }],
        timeline: [{ id: 'ptu1-slow', at, for: lasts, kind: 'network', link: { to: 'backend', backend: 'aoai-eastus-ptu1' }, toxic: { type: 'latency', latencyMs } }],
        // One verdict, so the run is judged (a run with none is inconclusive, exit 3).
        thresholds: { http_req_failed: ['rate<0.05'] },
        fleet: { latencyScale: 0.1 },
      },
    });
    const results = join(dir, 'results');
    const { code, stderr } = await runCliInProcess(['run', 'ptu1-slow-link', '--k6-config', configFile, '--results', results, '--seed', '16']);
    const runDir = join(results, readdirSync(results)[0]!);
    const journal = JSON.parse(readFileSync(join(runDir, 'journal.json'), 'utf8')) as Journal;
    expect(journal.status, `${runDir}: ${journal.problem ?? stderr}`).toBe('completed');
    expect(code).toBe(0);

    const [step] = journal.timeline;
    expect(step).toMatchObject({ id: 'ptu1-slow', action: 'network:latency downstream', target: 'aoai-eastus-ptu1', scope: 'Toxiproxy toxic latency on the downstream stream: proxy backend-aoai-eastus-ptu1' });
    expect(step!.error).toBeUndefined();
    expect(step!.appliedAt).not.toBeNull();
    expect(step!.clearedAt! - step!.appliedAt!).toBeGreaterThanOrEqual(lasts * 1000);
    expect(journal.target.notes.join('\n')).toMatch(/step ptu1-slow: Toxiproxy toxic latency/);

    // The run's own evidence: the ledger's records joined to the gateway's rows by correlation id.
    const ledger = readJsonl<RequestRecord>(join(runDir, 'fleet-ledger.jsonl')).filter((r) => r.type === 'request' && r.correlationId !== null);
    const rows = new Map(readJsonl<GatewayLogRow>(join(runDir, 'gateway-logs', 'ApiManagementGatewayLogs.jsonl')).map((row) => [row.CorrelationId, row]));
    const waited = (r: RequestRecord): number => rows.get(r.correlationId!)!.BackendTime! - (r.end - r.start);
    // A request entirely inside the window: sent after the toxic went on, answered before it came off.
    const inside = ledger.filter((r) => rows.has(r.correlationId!) && r.start >= step!.appliedAt! && r.end + latencyMs < step!.clearedAt!);
    const slowed = inside.filter((r) => r.backend === 'aoai-eastus-ptu1');
    const other = inside.filter((r) => r.backend === 'aoai-eastus-ptu2');
    expect(slowed.length, 'requests ptu1 answered while the toxic was on').toBeGreaterThan(3);
    expect(other.length, 'requests ptu2 answered while the toxic was on').toBeGreaterThan(3);
    for (const r of slowed) expect(waited(r)).toBeGreaterThanOrEqual(latencyMs - 2);
    // The other PTU's link had no toxic: most of its answers reached the gateway well within the latency.
    expect(other.filter((r) => waited(r) < latencyMs).length).toBeGreaterThan(other.length / 2);
  });
});
