import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadExpectationsFile } from '../../harness/verify/expectations-file.ts';
import { startFleet, type RunningFleet } from '../../mocks/aoai/fleet.ts';
import type { RequestRecord } from '../../mocks/aoai/ledger.ts';
import { defaultTopologyPath, parseTopology } from '../../mocks/aoai/topology.ts';
import { findNginx } from './find-nginx.ts';
import { nginxExpectationsPath, noBackupTemplatePath, noEjectionTemplatePath } from './nginx-config.ts';
import { startNginx, type RunningNginx } from './nginx-process.ts';

/**
 * The nginx example against the real mock fleet, with real HTTP on loopback and the fleet's
 * ledger as the witness: PTU answers first, a PTU 429 moves the request on and, once both PTU
 * backends refused it, to the PAYG backup; a PTU backend that keeps failing is ejected after
 * max_fails failures for fail_timeout. The two broken copies each lose exactly the behaviour
 * their break removes. Loads are a few sequential requests; only the ejection case waits out a
 * fail_timeout (10 s).
 *
 * max_fails and fail_timeout are read from expectations.json (which nginx-config.test.ts holds
 * to the template), so this file checks that nginx does what the expectations say it does.
 */
const lookup = await findNginx();
if (lookup.status === 'missing') process.stdout.write(`nginx-fleet.test.ts: skipped: ${lookup.reason}\n`);

const expectations = loadExpectationsFile(nginxExpectationsPath);
const ptuRule = expectations.breakers['aoai-eastus-ptu1']!;
const maxFails = ptuRule.count;
const failTimeoutMs = ptuRule.tripDurationMs;

const API_VERSION = '2024-10-21';
const running: { fleets: RunningFleet[]; gateways: RunningNginx[] } = { fleets: [], gateways: [] };

afterEach(async () => {
  await Promise.all(running.gateways.splice(0).map((nginx) => nginx.stop()));
  await Promise.all(running.fleets.splice(0).map((fleet) => fleet.close()));
});

/** The default topology (two regions, 2 PTU + 1 PAYG each) answering at once, optionally with another PTU gpt-4o capacity. */
async function fleetOf(options: { ptuCapacityTpm?: number } = {}): Promise<RunningFleet> {
  const topology = JSON.parse(readFileSync(defaultTopologyPath, 'utf8')) as { deploymentSets: Record<string, { name: string; capacityTpm: number }[]> };
  const ptuChat = topology.deploymentSets['ptu-deployments']!.find((d) => d.name === 'gpt-4o')!;
  if (options.ptuCapacityTpm !== undefined) ptuChat.capacityTpm = options.ptuCapacityTpm;
  const fleet = await startFleet({ topology: parseTopology(JSON.stringify({ ...topology, seed: 1313, latencyScale: 0 }), 'nginx-fleet.test.ts') });
  running.fleets.push(fleet);
  return fleet;
}

async function gatewayFor(fleet: RunningFleet, template?: string): Promise<RunningNginx> {
  const nginx = await startNginx({ fleet: fleet.describe(), ...(template ? { template } : {}) });
  running.gateways.push(nginx);
  return nginx;
}

interface ClientAnswer {
  id: string;
  status: number;
  /** The fleet backend that answered, as its x-fleet-backend header (passed through by nginx) says. */
  servedBy: string | null;
}

let counter = 0;

/** One chat completion through the gateway, with its own x-ms-client-request-id. */
async function chat(nginx: RunningNginx): Promise<ClientAnswer> {
  const id = `nginx-fleet-${process.pid}-${++counter}`;
  const response = await fetch(`${nginx.url}/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'test-key', 'x-priority': 'medium', 'x-ms-client-request-id': id },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 16 }),
  });
  await response.text();
  return { id, status: response.status, servedBy: response.headers.get('x-fleet-backend') };
}

function requests(fleet: RunningFleet): RequestRecord[] {
  return fleet.ledger.read(0, 100_000).records.filter((r): r is RequestRecord => r.type === 'request');
}

/** What each backend received for one client request, in order: `aoai-eastus-ptu1 429`. */
function attempts(fleet: RunningFleet, id: string): string[] {
  return requests(fleet)
    .filter((r) => r.correlationId === id)
    .sort((a, b) => a.start - b.start)
    .map((r) => `${r.backend} ${r.status}`);
}

const ptu = /^aoai-eastus-ptu[12] /;

describe.skipIf(lookup.status === 'missing')('the nginx example against the mock fleet', () => {
  it('sends to the East US PTU backends first, round robin, and to nothing else while they answer', async () => {
    const fleet = await fleetOf();
    const nginx = await gatewayFor(fleet);
    const answers: ClientAnswer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await chat(nginx));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const answer of answers) {
      expect(attempts(fleet, answer.id)).toHaveLength(1);
      expect(attempts(fleet, answer.id)[0]).toMatch(/^aoai-eastus-ptu[12] 200$/);
    }
    expect(new Set(answers.map((a) => a.servedBy))).toEqual(new Set(['aoai-eastus-ptu1', 'aoai-eastus-ptu2']));
    // The headers a gateway must not lose reached the backend.
    const first = requests(fleet).find((r) => r.correlationId === answers[0]!.id)!;
    expect([first.priority, first.auth]).toEqual(['medium', 'api-key']);
  });

  it('passes a PTU 429 on: once both PTU backends refused a request, PAYG (the backup) answers it; after max_fails refusals each, PTU is skipped for fail_timeout', async () => {
    // 1 TPM: each PTU deployment admits one request (its burst) and refuses everything after
    // with a utilization 429 for as long as this test lasts.
    const fleet = await fleetOf({ ptuCapacityTpm: 1 });
    const nginx = await gatewayFor(fleet);
    const answers: ClientAnswer[] = [];
    for (let i = 0; i < 2 + maxFails + 2; i++) answers.push(await chat(nginx));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const seen = answers.map((a) => attempts(fleet, a.id));

    // The first two: one PTU backend each, admitted.
    expect(seen.slice(0, 2).map((a) => a.length)).toEqual([1, 1]);
    expect(new Set(seen.slice(0, 2).flat())).toEqual(new Set(['aoai-eastus-ptu1 200', 'aoai-eastus-ptu2 200']));
    // Then max_fails requests that tried both PTU backends, each refusing with 429, and got
    // PAYG's answer: the same x-ms-client-request-id on all three attempts.
    for (const tried of seen.slice(2, 2 + maxFails)) {
      expect(tried).toHaveLength(3);
      expect(new Set(tried.slice(0, 2))).toEqual(new Set(['aoai-eastus-ptu1 429', 'aoai-eastus-ptu2 429']));
      expect(tried[2]).toBe('aoai-eastus-payg 200');
    }
    // After max_fails 429s each, both PTU servers are ejected: PAYG directly.
    for (const tried of seen.slice(2 + maxFails)) expect(tried).toEqual(['aoai-eastus-payg 200']);
    expect(readFileSync(nginx.errorLogPath, 'utf8')).toMatch(/upstream server temporarily disabled/);
  });

  it(`ejects a PTU backend that answers 500 after max_fails failures, sends it nothing for fail_timeout, and re-ejects it after one failed try when it comes back`, { timeout: 60_000 }, async () => {
    const fleet = await fleetOf();
    const nginx = await gatewayFor(fleet);
    fleet.faults.inject({ kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' }, label: 'ptu1-fails' });
    const ptu1 = (): RequestRecord[] => requests(fleet).filter((r) => r.backend === 'aoai-eastus-ptu1');
    const answers: ClientAnswer[] = [];
    // A request every 200 ms until ptu1 has been tried once after its ejection and then for two
    // seconds more; bounded at twice fail_timeout plus those two seconds.
    const deadline = Date.now() + 2 * failTimeoutMs + 2_000;
    let returnedAt: number | null = null;
    while (Date.now() < deadline) {
      answers.push(await chat(nginx));
      const records = ptu1();
      if (returnedAt === null && records.length > maxFails) returnedAt = Date.now();
      if (returnedAt !== null && Date.now() - returnedAt >= 2_000) break;
      await sleep(200);
    }

    // No client saw the failure: each request that met ptu1's 500 was passed to ptu2.
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const records = ptu1();
    expect(returnedAt, `ptu1 got ${records.length} request(s) (${records.map((r) => r.status).join(', ')}), never more than max_fails = ${maxFails}, within ${2 * failTimeoutMs} ms`).not.toBeNull();
    expect(records.every((r) => r.status === 500)).toBe(true);
    // max_fails failures, then silence for at least fail_timeout (nginx counts whole seconds,
    // so the silence is between fail_timeout and fail_timeout + 1 s, plus the next draw).
    const lastBefore = records[maxFails - 1]!;
    const back = records[maxFails]!;
    const silenceMs = back.start - lastBefore.end;
    process.stdout.write(`nginx-fleet.test.ts: ptu1 failed ${maxFails} times, was silent for ${silenceMs} ms (fail_timeout ${failTimeoutMs} ms), then got ${records.length - maxFails} request(s) in the ${answers.length} sent\n`);
    expect(silenceMs).toBeGreaterThanOrEqual(failTimeoutMs - 100);
    // Back after the silence, it fails once and is ejected again at once: nginx resets a
    // server's failure count only on a success, so one more failure keeps it at max_fails.
    // (A count-based breaker would take max_fails new failures; README.md, "What nginx does".)
    expect(records).toHaveLength(maxFails + 1);
    const requestsSinceReturn = answers.filter((a) => (requests(fleet).find((r) => r.correlationId === a.id)?.start ?? 0) >= back.start).length;
    expect(requestsSinceReturn).toBeGreaterThanOrEqual(5);
    expect(readFileSync(nginx.errorLogPath, 'utf8').match(/upstream server temporarily disabled/g)?.length).toBeGreaterThanOrEqual(2);
  });
});

describe.skipIf(lookup.status === 'missing')('the broken copies against the mock fleet', () => {
  it('no backup: once both PTU backends refused a request, the client gets the 429 and PAYG gets nothing', async () => {
    const fleet = await fleetOf({ ptuCapacityTpm: 1 });
    const nginx = await gatewayFor(fleet, noBackupTemplatePath);
    const answers: ClientAnswer[] = [];
    for (let i = 0; i < 4; i++) answers.push(await chat(nginx));
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([200, 200]);
    expect(answers.slice(2).map((a) => a.status)).toEqual([429, 429]);
    expect(attempts(fleet, answers[2]!.id).every((a) => ptu.test(a))).toBe(true);
    expect(requests(fleet).filter((r) => r.kind === 'payg')).toEqual([]);
  });

  it('ejection off: a PTU backend answering 500 keeps its share of first attempts, far past max_fails', async () => {
    const fleet = await fleetOf();
    const nginx = await gatewayFor(fleet, noEjectionTemplatePath);
    fleet.faults.inject({ kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' }, label: 'ptu1-fails' });
    const answers: ClientAnswer[] = [];
    for (let i = 0; i < 4 * maxFails; i++) answers.push(await chat(nginx));
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    // Round robin keeps drawing it: about every other request, against max_fails for the example.
    const failures = requests(fleet).filter((r) => r.backend === 'aoai-eastus-ptu1' && r.status === 500).length;
    expect(failures).toBeGreaterThanOrEqual(2 * maxFails);
  });
});
