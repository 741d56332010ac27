import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { exitOf, spillway } from '../cli/cli-test-support.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { startControlledFleet } from './controlled-fleet.ts';

/**
 * Secrets never reach a log, a journal or a report: a whole run through the CLI, against a
 * gateway at a URL with an attached fleet behind a control token, with canary values for every
 * subscription key and for the token; then every file of the run folder and everything the CLI
 * printed is searched for them. The gateway is a bare pass-through proxy (accepting any key, as
 * somebody else's gateway might), so the canary keys really travel on every request.
 */
const k6 = await inspectTool(k6Spec);
if (k6.status === 'missing') process.stdout.write('secrets-canary.e2e.test.ts: skipped: k6 is not installed (node bin/spillway.js tools install)\n');

const canaries = {
  SPILLWAY_KEY_USER_FACING: 'canary-key-user-facing-5f1c9a',
  SPILLWAY_KEY_CRITICAL_OPS: 'canary-key-critical-ops-77d2e0',
  SPILLWAY_CONTROL_TOKEN: 'canary-control-token-c0ffee42',
};

const repo = join(import.meta.dirname, '..', '..');
const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: Record<string, unknown> };

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A pass-through proxy to one backend: every request, headers (the key) included, goes on. */
async function passThrough(to: string): Promise<string> {
  const target = new URL(to);
  const server: Server = createServer((incoming, outgoing) => {
    const forward = httpRequest({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: target.host } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((file) => join(dir, file)).filter((path) => statSync(path).isFile());
}

describe.skipIf(k6.status === 'missing')('secrets in a run against a gateway at a URL', () => {
  it('no subscription key and no control token appears in the run folder or in anything the CLI printed', { timeout: 120_000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'canary-'));
    const fleet: RunningFleet = await startControlledFleet({ topology: { ...loadTopologyFile(defaultTopologyPath), latencyScale: 0.05 }, ledgerPath: join(work, 'fleet-ledger.jsonl') }, { SPILLWAY_CONTROL_TOKEN: canaries.SPILLWAY_CONTROL_TOKEN });
    cleanups.push(() => fleet.close());
    const description = fleet.describe();
    const fleetFile = join(work, 'fleet.json');
    writeFileSync(fleetFile, `${JSON.stringify(description)}\n`);
    const gateway = await passThrough(description.backends.find((b) => b.name === 'aoai-eastus-ptu1')!.endpoint);
    const k6Config = join(work, 'k6.config.json');
    writeFileSync(
      k6Config,
      JSON.stringify({
        consumers: base.consumers,
        scenarios: {
          canary: {
            description: 'secrets canary',
            script: 'smoke',
            durationSeconds: 8,
            traffic: [
              { consumer: 'user-facing', ratePerUnit: 3, promptWords: { kind: 'fixed', value: 8 }, maxTokens: { kind: 'fixed', value: 8 } },
              { consumer: 'critical-ops', ratePerUnit: 2, promptWords: { kind: 'fixed', value: 8 }, maxTokens: { kind: 'fixed', value: 8 } },
            ],
            timeline: [{ id: 'ptu1-slow', at: 2, for: 3, kind: 'fleet-fault', fault: { kind: 'latency', latencyMs: 20, target: { backend: 'aoai-eastus-ptu1' } } }],
            thresholds: { http_req_failed: ['rate<0.5'] },
          },
        },
      }),
    );
    const results = join(work, 'results');
    const { code, stdout, stderr } = await exitOf(spillway(['run', 'canary', '--k6-config', k6Config, '--gateway-url', gateway, '--fleet', fleetFile, '--health-path', 'none', '--results', results], canaries));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    // The keys did travel: the fleet saw api-key on the requests (it records only how they authenticated).
    expect(fleet.ledger.read(0, 10).records.some((r) => r.type === 'request' && r.auth === 'api-key')).toBe(true);
    // The fault went in through the control API, with the token.
    const [runDir] = readdirSync(results);
    const ledger = readFileSync(join(results, runDir!, 'fleet-ledger.jsonl'), 'utf8');
    expect(ledger).toContain('"label":"ptu1-slow"');

    const places = [...filesUnder(join(results, runDir!)).map((path) => ({ where: path, text: readFileSync(path, 'utf8') })), { where: 'stdout', text: stdout }, { where: 'stderr', text: stderr }];
    expect(places.length).toBeGreaterThan(5);
    for (const { where, text } of places) {
      for (const [name, value] of Object.entries(canaries)) expect(text.includes(value), `${name} found in ${where}`).toBe(false);
    }
  });
});
