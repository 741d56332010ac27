import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesMentioning } from '../cli/cli-test-support.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { journalSchema } from '../contracts/journal.ts';
import { checkInvocation, runScenario, type RunResult } from './run-scenario.ts';
import { prepareRun } from './run-input.ts';
import { sampleExpectations } from '../verify/test-evidence.ts';

/**
 * The run orchestration end to end, with real k6 on the embedded topology: a short plan so
 * the file stays well under a minute. Skipped, with the reason printed, where k6 is not
 * provisioned (`.ci/run` provisions it first).
 */
const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') process.stdout.write(`run-scenario.test.ts: real runs skipped: k6 is not provisioned (${inspection.reasons.join('; ')})\n`);

const repo = join(import.meta.dirname, '..', '..');
const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: Record<string, unknown> };

function sampleExpectationsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'expectations-')), 'expectations.json');
  writeFileSync(file, JSON.stringify(sampleExpectations()));
  return file;
}

function configWith(scenarios: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'run-scenario-'));
  const file = join(dir, 'k6.config.json');
  writeFileSync(file, JSON.stringify({ consumers: base.consumers, scenarios }));
  return file;
}

const shortPlan = {
  description: 'a short run for the orchestration test',
  script: 'smoke',
  durationSeconds: 12,
  traffic: [
    { consumer: 'user-facing', ratePerUnit: 3, promptWords: { kind: 'fixed', value: 10 }, maxTokens: { kind: 'fixed', value: 10 } },
    { consumer: 'critical-ops', ratePerUnit: 1, promptWords: { kind: 'fixed', value: 10 }, maxTokens: { kind: 'fixed', value: 10 } },
  ],
  timeline: [{ id: 'ptu2-slow', at: 3, for: 4, kind: 'fleet-fault', fault: { kind: 'latency', latencyMs: 50, target: { backend: 'aoai-eastus-ptu2' } } }],
  thresholds: { http_req_failed: ['rate<0.5'] },
  fleet: { latencyScale: 0.05 },
};

/** The journal file the run wrote passes the journal contract, schema version and all, and says what the run returned. */
function expectJournalContract(result: RunResult): void {
  const parsed = journalSchema.safeParse(JSON.parse(readFileSync(result.journalFile, 'utf8')));
  expect(parsed.error?.issues).toBeUndefined();
  expect(parsed.data).toEqual(JSON.parse(JSON.stringify(result.journal)));
}

/** Nothing the run started listens any more, and its JUnit report carries the harness failure. */
async function expectAllStopped(result: RunResult): Promise<void> {
  expectJournalContract(result);
  const topology = result.journal.target.topology as { frontDoor: string; regions: { url: string }[]; fleet: { backends: { endpoint: string }[]; control: string } };
  for (const url of [topology.frontDoor, ...topology.regions.map((r) => r.url), ...topology.fleet.backends.map((b) => b.endpoint), topology.fleet.control]) {
    expect(await listening(url), url).toBe(false);
  }
  expect(readFileSync(join(result.runDir, 'junit.xml'), 'utf8')).toContain('type="harness"');
}

function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('checking the command line before anything is created', () => {
  it('names the scenarios there are when one is unknown', () => {
    expect(() => checkInvocation({ scenario: 'spilover', units: 1 })).toThrow(/unknown scenario "spilover": .*k6\.config\.json defines smoke, spillover, circuit-breaker, priority, failover, token-limit/);
  });

  it('refuses units outside 1 to 30', () => {
    expect(() => checkInvocation({ scenario: 'smoke', units: 0 })).toThrow(/--units must be a whole number from 1 to 30/);
    expect(() => checkInvocation({ scenario: 'smoke', units: 2.5 })).toThrow(/--units must be a whole number from 1 to 30/);
  });

  it('refuses flags that contradict each other or need --gateway-url', () => {
    expect(() => checkInvocation({ scenario: 'smoke', units: 1, portBase: 18000 })).toThrow('--port-base needs --gateway-url');
    expect(() => checkInvocation({ scenario: 'smoke', units: 1, fleetFile: 'f.json' })).toThrow('--fleet needs --gateway-url');
    expect(() => checkInvocation({ scenario: 'smoke', units: 1, gatewayUrl: 'http://127.0.0.1:9', fleetFile: 'f.json', portBase: 18000 })).toThrow('give one of them');
    expect(() => checkInvocation({ scenario: 'smoke', units: 1, gatewayUrl: 'http://127.0.0.1:9', portBase: 18000, healthPath: 'healthz' })).toThrow('--health-path must be a path starting with "/", or "none"');
  });

  it('names the file and field of a bad plan', () => {
    const file = configWith({ bad: { ...shortPlan, traffic: [{ ...shortPlan.traffic[0], consumer: 'nobody' }] } });
    expect(() => checkInvocation({ scenario: 'bad', units: 1, k6ConfigFile: file })).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: scenarios\\.bad\\.traffic\\.0\\.consumer: "nobody" is not a consumer class`));
  });
});

/** Runs `body` with the sample consumers' key variables set (or unset), restoring them after. */
async function withKeys(value: string | undefined, body: () => Promise<void>): Promise<void> {
  const names = ['SPILLWAY_KEY_USER_FACING', 'SPILLWAY_KEY_CRITICAL_OPS'];
  const saved = names.map((name) => process.env[name]);
  for (const name of names) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    await body();
  } finally {
    names.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
  }
}

describe('checking the run against its target, before anything starts', () => {
  it('wants keys for a gateway at a URL, and the fleet behind it on the command line', async () => {
    const file = configWith({ calm: { ...shortPlan, timeline: [] } });
    const options = { scenario: 'calm', units: 1, k6ConfigFile: file, gatewayUrl: 'http://127.0.0.1:9' };
    expect(() => checkInvocation(options)).toThrow(/--fleet <file> attaches to one started with `spillway fleet up --json`, --port-base <n> starts one/);
    const withFleet = { ...options, portBase: 18900 };
    await withKeys(undefined, () => expect(prepareRun(withFleet, checkInvocation(withFleet))).rejects.toThrow(/set SPILLWAY_KEY_USER_FACING, SPILLWAY_KEY_CRITICAL_OPS/));
  });

  it('says before the run that a region-down step takes only the fleet side of a gateway at a URL, and refuses one that takes only the gateway down', async () => {
    const down = { id: 'down', at: 2, for: 3, kind: 'region-down', region: 'East US' };
    const file = configWith({ outage: { ...shortPlan, timeline: [down] }, 'gateway-only': { ...shortPlan, timeline: [{ ...down, backends: false }] } });
    const options = { scenario: 'outage', units: 1, k6ConfigFile: file, gatewayUrl: 'http://127.0.0.1:9', portBase: 18900, expectationsFile: sampleExpectationsFile() };
    await withKeys('k', async () => {
      const prepared = await prepareRun(options, checkInvocation(options));
      expect(prepared.scopes.get('down')).toMatch(/^only the fleet's side: the backends in East US refuse connections, while the gateway at http:\/\/127\.0\.0\.1:9 is not Spillway's to stop/);
      const gatewayOnly = { ...options, scenario: 'gateway-only' };
      await expect(prepareRun(gatewayOnly, checkInvocation(gatewayOnly))).rejects.toThrow('scenarios.gateway-only.timeline.down.backends: false takes only the gateway down');
    });
  });

  it('wants expectations for a gateway at a URL when the plan runs verifiers', async () => {
    const file = configWith({ judged: { ...shortPlan, timeline: [], verifiers: ['spillover'] } });
    const options = { scenario: 'judged', units: 1, k6ConfigFile: file, gatewayUrl: 'http://127.0.0.1:9', portBase: 18900 };
    await withKeys('k', () => expect(prepareRun(options, checkInvocation(options))).rejects.toThrow(/runs verifiers \(spillover\), which judge a gateway at a URL against expectations you give: --expectations <file>/));
  });

  it('names the file and field of a bad expectations file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'expectations-'));
    const file = join(dir, 'expectations.json');
    writeFileSync(file, JSON.stringify({ backends: [], breakers: {}, regions: ['East US'], frontDoor: null, consumers: { 'user-facing': { tokensPerMinute: -5, priority: 'medium' } } }));
    const options = { scenario: 'smoke', units: 1, expectationsFile: file };
    await expect(prepareRun(options, checkInvocation(options))).rejects.toThrow(`${file}: consumers.user-facing.tokensPerMinute:`);
  });
});

describe.skipIf(inspection.status === 'missing')('a real run', () => {
  it('runs k6 against the embedded topology, applies the timeline, and writes the journal, evidence and JUnit', async () => {
    const results = mkdtempSync(join(tmpdir(), 'run-results-'));
    const lines: string[] = [];
    const result = await runScenario({ scenario: 'short', units: 1, k6ConfigFile: configWith({ short: shortPlan }), resultsDir: results, seed: 3, progress: (line) => lines.push(line) });
    const { journal } = result;

    expect(journal.problem).toBeUndefined();
    expect(journal.status).toBe('completed');
    expect(journal.k6).toMatchObject({ exitCode: 0, meaning: 'ok' });
    expect(journal.verdicts.map((v) => [v.check, v.status])).toEqual([['k6 threshold http_req_failed', 'pass']]);
    expect(journal.exitCode).toBe(0);
    const [step] = journal.timeline;
    expect(step).toMatchObject({ id: 'ptu2-slow', action: 'fleet:latency', target: 'aoai-eastus-ptu2' });
    expect(step!.clearedAt! - step!.appliedAt!).toBeGreaterThanOrEqual(4000);
    expect(Date.parse(journal.k6.startedAt!) + 3000).toBeLessThanOrEqual(step!.appliedAt!);

    for (const file of ['journal.json', 'junit.xml', 'k6-samples.json', 'k6-summary.json', 'k6-summary-export.json', 'k6-output.log', 'fleet-ledger.jsonl', 'gateway-logs/ApiManagementGatewayLogs.jsonl', 'gateway-logs/ApiManagementGatewayLlmLog.jsonl']) {
      expect(existsSync(join(result.runDir, file)), file).toBe(true);
    }
    const ledger = readFileSync(join(result.runDir, 'fleet-ledger.jsonl'), 'utf8');
    expect(ledger).toContain('"label":"ptu2-slow"');
    // Keys travel to k6 only in its environment: never into the run folder.
    for (const file of readdirSync(result.runDir, { recursive: true }) as string[]) {
      const path = join(result.runDir, file);
      if (statSync(path).isFile()) expect(readFileSync(path, 'utf8'), file).not.toContain('local-user-facing-key');
    }
    expect(lines.some((line) => line.includes('applied ptu2-slow'))).toBe(true);
    expectJournalContract(result);
    for (const region of (journal.target.topology as { regions: { url: string }[] }).regions) expect(await listening(region.url)).toBe(false);
  });

  it('stops everything when interrupted, and says so in the journal (exit 2)', async () => {
    const results = mkdtempSync(join(tmpdir(), 'run-results-'));
    const abort = new AbortController();
    const result = await runScenario({
      scenario: 'long',
      units: 1,
      k6ConfigFile: configWith({ long: { ...shortPlan, durationSeconds: 120, timeline: [] } }),
      resultsDir: results,
      signal: abort.signal,
      progress: (line) => {
        if (line.startsWith('running k6')) setTimeout(() => abort.abort(), 3000);
      },
    });
    expect(result.journal.status).toBe('interrupted');
    expect(result.journal.exitCode).toBe(2);
    expect(Date.parse(result.journal.endedAt) - Date.parse(result.journal.startedAt)).toBeLessThan(60_000);
    await expectAllStopped(result);
  });

  it('marks the journal incomplete (exit 2) when k6 dies mid-run, and stops everything', async () => {
    const results = mkdtempSync(join(tmpdir(), 'run-results-'));
    let killed: number[] = [];
    const result = await runScenario({
      scenario: 'long',
      units: 1,
      k6ConfigFile: configWith({ long: { ...shortPlan, durationSeconds: 120, timeline: [] } }),
      resultsDir: results,
      progress: (line) => {
        // k6's command line names its output file in the run folder: that finds our k6 only.
        if (line.startsWith('running k6')) {
          setTimeout(() => {
            killed = processesMentioning(results);
            for (const pid of killed) process.kill(pid, 'SIGKILL');
          }, 3000);
        }
      },
    });
    expect(killed).toHaveLength(1);
    expect(result.journal.status).toBe('incomplete');
    expect(result.journal.exitCode).toBe(2);
    expect(result.journal.k6).toMatchObject({ exitCode: null, signal: 'SIGKILL', meaning: 'stopped by SIGKILL' });
    expect(result.journal.problem).toMatch(/^k6 did not complete the run: stopped by SIGKILL .*see k6-output\.log/);
    expect(result.journal.verdicts).toEqual([]);
    expect(Date.parse(result.journal.endedAt) - Date.parse(result.journal.startedAt)).toBeLessThan(60_000);
    await expectAllStopped(result);
  });

  it('makes the run incomplete (exit 2) when a timeline step fails as it fires: k6 is stopped, the journal names the step and why', async () => {
    // The checks before the run refuse a step that names nothing in the topology, so the
    // failure is made here: the fleet injector throws as the step fires.
    const results = mkdtempSync(join(tmpdir(), 'run-results-'));
    const result = await runScenario({
      scenario: 'broken-step',
      units: 1,
      k6ConfigFile: configWith({ 'broken-step': { ...shortPlan, durationSeconds: 60, timeline: [{ id: 'ptu2-slow', at: 2, for: 4, kind: 'fleet-fault', fault: { kind: 'latency', latencyMs: 50, target: { backend: 'aoai-eastus-ptu2' } } }] } }),
      resultsDir: results,
      wrapFaultInjectors: (injectors) => ({
        ...injectors,
        'fleet-fault': async () => {
          throw new Error('the control API is gone');
        },
      }),
    });
    const { journal } = result;
    expect(journal.status).toBe('incomplete');
    expect(journal.exitCode).toBe(2);
    expect(journal.problem).toBe('timeline step "ptu2-slow" (fleet:latency on aoai-eastus-ptu2, at 2 s) failed when it fired: the control API is gone; the run is not judged without it');
    expect(journal.verdicts).toEqual([]);
    expect(journal.timeline[0]).toMatchObject({ id: 'ptu2-slow', appliedAt: null, error: 'the control API is gone' });
    // Stopped at the failure (k6 says it was aborted from outside), not run to its 60 s end.
    expect(journal.k6).toMatchObject({ exitCode: 105, meaning: 'externally aborted' });
    await expectAllStopped(result);
  });

  it('judges the gateway against an expectations file when one is given, and says so in the journal', async () => {
    // Derived from the sample, except that user-facing was promised only 100 tokens a minute:
    // the gateway (20,000 for it) reports remaining tokens far above that budget, and the
    // verifier says so (the run is too short for a full minute's admission count).
    const { expectationsFromConfig } = await import('../verify/expectations-from-config.ts');
    const { loadGatewayConfig } = await import('../../mocks/apim/config/index.ts');
    const { loadTopologyFile, defaultTopologyPath } = await import('../../mocks/aoai/topology.ts');
    const { loadK6Config } = await import('./scenario-plan.ts');
    const topology = loadTopologyFile(defaultTopologyPath);
    const { describeUnstartedFleet } = await import('../../mocks/aoai/fleet.ts');
    const fleet = describeUnstartedFleet(topology);
    const expectations = expectationsFromConfig({ gatewayConfig: loadGatewayConfig(join(repo, 'deploy', 'apim')), fleet, k6Config: loadK6Config(join(repo, 'k6.config.json')), deployment: 'gpt-4o' });
    expectations.consumers['user-facing'] = { tokensPerMinute: 100, priority: 'medium' };
    const expectationsFile = join(mkdtempSync(join(tmpdir(), 'expectations-')), 'expectations.json');
    writeFileSync(expectationsFile, JSON.stringify(expectations));

    const result = await runScenario({
      scenario: 'budget',
      units: 1,
      k6ConfigFile: configWith({ budget: { ...shortPlan, timeline: [], thresholds: {}, verifiers: ['token-limit'] } }),
      resultsDir: mkdtempSync(join(tmpdir(), 'run-results-')),
      expectationsFile,
    });
    expect(result.journal.expectations).toEqual({ mode: 'file', file: expectationsFile, description: `expectations: file (${expectationsFile}, given explicitly)` });
    // The budgets the verdicts were held to, for the report's token chart: the file's, not the sample's.
    expect(result.journal.tokenBudgets?.['user-facing']).toEqual({ tokensPerMinute: 100 });
    expect(result.journal.tokenBudgets?.['dev-test']).toEqual({ tokensPerMinute: expectations.consumers['dev-test']!.tokensPerMinute });
    const remaining = result.journal.verdicts.find((v) => v.check === 'token-limit.remaining-tokens');
    expect(remaining?.status, JSON.stringify(result.journal.verdicts.map((v) => [v.check, v.status]))).toBe('fail');
    expect(remaining?.explanation).toMatch(/a value above the consumer's limit means the gateway enforces a larger tokens-per-minute/);
  });

  it('catches an unreachable gateway before k6 starts', async () => {
    const file = configWith({ calm: { ...shortPlan, timeline: [] } });
    process.env.SPILLWAY_KEY_USER_FACING ??= 'test-key';
    process.env.SPILLWAY_KEY_CRITICAL_OPS ??= 'test-key';
    const result = await runScenario({ scenario: 'calm', units: 1, k6ConfigFile: file, resultsDir: mkdtempSync(join(tmpdir(), 'run-results-')), gatewayUrl: 'http://127.0.0.1:9', portBase: 18950 });
    expect(result.journal.status).toBe('incomplete');
    expect(result.journal.exitCode).toBe(2);
    expect(result.journal.problem).toMatch(/the gateway at http:\/\/127\.0\.0\.1:9 does not answer its health check GET \/status-0123456789abcdef .*nothing was sent/);
    expect(result.journal.k6.startedAt).toBeNull();
    // The fleet the run started for it is gone again, and CI has a journal and junit.xml to read.
    expect(await listening('http://127.0.0.1:18950')).toBe(false);
    expect(readFileSync(join(result.runDir, 'junit.xml'), 'utf8')).toContain('does not answer its health check');
    expectJournalContract(result);
  });
});
