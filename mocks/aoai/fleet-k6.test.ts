import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectTool } from '../../harness/tools/resolve-tool.ts';
import { k6Spec } from '../../harness/tools/tool-specs.ts';
import { startFleet, type RunningFleet } from './fleet.ts';
import type { RequestRecord } from './ledger.ts';
import { parseTopology } from './topology.ts';

/**
 * Real k6 (the pinned, provisioned binary) drives the fleet over loopback, and the fleet's
 * ledger must account for every request k6 says it sent. `.ci/run` provisions k6 before the
 * tests; elsewhere the test is skipped with the reason printed.
 */
const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') {
  process.stdout.write(`fleet-k6.test.ts skipped: k6 ${inspection.wantedVersion} is not provisioned (${inspection.reasons.join('; ')}); run: npx spillway tools install\n`);
}
const k6Path = inspection.status === 'found' ? inspection.tool.path : '';

const script = `
import http from 'k6/http';
import { check } from 'k6';
export const options = {
  scenarios: { burst: { executor: 'shared-iterations', vus: 4, iterations: 40, maxDuration: '60s' } },
};
export default function () {
  const response = http.post(__ENV.URL, JSON.stringify({ messages: [{ role: 'user', content: 'hello from k6' }], max_tokens: 30 }), {
    headers: { 'content-type': 'application/json', 'api-key': 'k6', 'x-priority': 'high' },
  });
  check(response, { 'status 200': (r) => r.status === 200, 'served by the fleet': (r) => r.headers['X-Fleet-Backend'] === 'aoai-k6' });
}
`;

describe.skipIf(inspection.status === 'missing')('real k6 against the fleet', () => {
  let fleet: RunningFleet;
  beforeAll(async () => {
    const topology = parseTopology(
      JSON.stringify({ seed: 3, latencyScale: 0.05, resources: [{ name: 'aoai-k6', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 10_000_000 }] }] }),
      'fleet-k6.test',
    );
    fleet = await startFleet({ topology });
  });
  afterAll(async () => {
    await fleet.close();
  });

  it('answers every request k6 sends, and the ledger accounts for each', async () => {
    const work = mkdtempSync(join(tmpdir(), 'fleet-k6-'));
    writeFileSync(join(work, 'script.js'), script);
    const url = `${fleet.describe().backends[0]!.endpoint}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`;
    await promisify(execFile)(k6Path, ['run', '--quiet', '--no-color', '--summary-export', join(work, 'summary.json'), join(work, 'script.js')], {
      env: { ...process.env, URL: url, K6_NO_USAGE_REPORT: 'true' },
      timeout: 120_000,
    });
    const summary = JSON.parse(readFileSync(join(work, 'summary.json'), 'utf8')) as { metrics: { http_reqs: { count: number }; checks: { passes: number; fails: number } } };
    expect(summary.metrics.http_reqs.count).toBe(40);
    expect(summary.metrics.checks).toMatchObject({ passes: 80, fails: 0 });

    const records = fleet.ledger.read(0, 1000).records.filter((r): r is RequestRecord => r.type === 'request');
    expect(records).toHaveLength(40);
    expect(records.every((r) => r.status === 200 && r.reason === 'ok' && r.priority === 'high' && r.auth === 'api-key')).toBe(true);
  });
});
