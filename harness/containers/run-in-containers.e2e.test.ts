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
import { listSpillwayContainers, ownerId } from './container-cleanup.ts';
import { engineForTests } from './container-engine-for-tests.ts';

/**
 * `spillway run --runtime container`: the same run as network-run.e2e.test.ts (a latency step on
 * the link into one PTU backend), with k6 and Toxiproxy in containers started through
 * testcontainers from the locally built images, on the host network. The run completes, k6's
 * log says it ran in its container, the toxic worked through the containerised Toxiproxy, and no
 * container is left. Skipped, saying why, without k6 or a container engine.
 */
const k6 = await inspectTool(k6Spec);
const engine = await engineForTests();
const skip = k6.status === 'missing' ? `k6 is not provisioned (${k6.reasons.join('; ')})` : engine.skip;
if (skip) process.stdout.write(`run-in-containers.e2e.test.ts skipped: ${skip}\n`);

const dir = mkdtempSync(join(tmpdir(), 'spillway-run-in-containers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readJsonl = <T,>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);

describe.skipIf(skip !== null)('spillway run with k6 and Toxiproxy in containers', () => {
  it('runs, applies the network step through the containerised Toxiproxy, and removes every container', { timeout: 600_000 }, async () => {
    const configFile = writeK6ConfigWith(dir, {
      'slow-link-in-containers': {
        description: 'medium traffic; the link into aoai-eastus-ptu1 gets 400 ms of latency from 6 s to 14 s',
        script: 'smoke',
        durationSeconds: 20,
        traffic: [{ consumer: 'user-facing', ratePerUnit: 4, maxTokens: { kind: 'fixed', value: 20 } }],
        timeline: [{ id: 'ptu1-slow', at: 6, for: 8, kind: 'network', link: { to: 'backend', backend: 'aoai-eastus-ptu1' }, toxic: { type: 'latency', latencyMs: 400 } }],
        thresholds: { http_req_failed: ['rate<0.05'] },
        fleet: { latencyScale: 0.1 },
      },
    });
    const results = join(dir, 'results');
    const { code, stdout, stderr } = await runCliInProcess(['run', 'slow-link-in-containers', '--runtime', 'container', '--k6-config', configFile, '--results', results, '--seed', '16']);
    const runDir = join(results, readdirSync(results)[0]!);
    const journal = JSON.parse(readFileSync(join(runDir, 'journal.json'), 'utf8')) as Journal;
    expect(journal.status, `${runDir}: ${journal.problem ?? stderr}`).toBe('completed');
    expect(code).toBe(0);
    expect(stdout).toMatch(/running k6 .*in containers \(/);
    expect(readFileSync(join(runDir, 'k6-output.log'), 'utf8')).toMatch(/^spillway: k6 runs in container [0-9a-f]{12} \(.*k6:2\.2\.0, host network\)$/m);

    // The toxic acted: ptu1's answers inside the window reached the gateway 400 ms late.
    const [step] = journal.timeline;
    expect(step).toMatchObject({ id: 'ptu1-slow', action: 'network:latency downstream' });
    const ledger = readJsonl<RequestRecord>(join(runDir, 'fleet-ledger.jsonl')).filter((r) => r.type === 'request' && r.correlationId !== null && r.backend === 'aoai-eastus-ptu1');
    const rows = new Map(readJsonl<GatewayLogRow>(join(runDir, 'gateway-logs', 'ApiManagementGatewayLogs.jsonl')).map((row) => [row.CorrelationId, row]));
    const inside = ledger.filter((r) => rows.has(r.correlationId!) && r.start >= step!.appliedAt! && r.end + 400 < step!.clearedAt!);
    expect(inside.length).toBeGreaterThan(3);
    for (const r of inside) expect(rows.get(r.correlationId!)!.BackendTime! - (r.end - r.start)).toBeGreaterThanOrEqual(398);

    // Nothing of this process is left: every k6 and Toxiproxy container was removed.
    const mine = (await listSpillwayContainers()).filter((c) => c.owner === ownerId());
    expect(mine).toEqual([]);
  });
});
