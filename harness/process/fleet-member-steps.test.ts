import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../contracts/ledger-record.ts';
import { defaultGatewayConfigDir } from '../run/run-scenario.ts';
import { scenarioPlanSchema, type ScenarioPlan } from '../run/scenario-plan.ts';
import { startEmbeddedTopology, type EmbeddedTopology } from '../targets/embedded-topology.ts';
import { fleetFaultInjector } from '../targets/fleet-handle.ts';
import { processInjector } from './process-injector.ts';
import { memberLedgerRecords } from './fleet-members.ts';

/**
 * A fleet member as its own process inside the embedded topology: the plan's process step on
 * aoai-eastus-ptu1 makes it a child process; the gateways reach it at its fixed endpoint; kill,
 * pause and restart act on it; fault rules still reach it (and come back after a restart); and
 * when the topology closes, its ledger records (before and after the kill) are in the run's
 * ledger with seqs unique and in order. Processes die with the test (parent-death signal).
 */
const member = 'aoai-eastus-ptu1';
const plan: ScenarioPlan = {
  ...scenarioPlanSchema.parse({
    description: 'x',
    durationSeconds: 30,
    traffic: [{ consumer: 'user-facing', ratePerUnit: 1 }],
    timeline: [{ id: 'member-killed', at: 5, for: 5, kind: 'process', action: 'kill', process: { of: 'backend', backend: member } }],
    fleet: { latencyScale: 0 },
  }),
  name: 'x',
};
const dir = mkdtempSync(join(tmpdir(), 'fleet-member-steps-'));
const ledgerPath = join(dir, 'fleet-ledger.jsonl');
let topology: EmbeddedTopology;
/** When the kill step was applied and undone (the member's process dead in between). */
const killWindow = { from: 0, to: 0 };

const chat = (base: string, correlationId: string, key = 'k'): Promise<Response> =>
  fetch(`${base}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': key, 'x-priority': 'medium', 'x-correlation-id': correlationId, connection: 'close' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 }),
  });
const refusedCode = (pending: Promise<Response>): Promise<string | undefined | null> =>
  pending.then(
    () => null,
    (error: Error & { cause?: { code?: string } }) => error.cause?.code,
  );
async function until(check: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
const step = (action: 'kill' | 'pause' | 'restart', withFor = true) => ({ id: `member-${action}`, at: 0, ...(withFor ? { for: 1 } : {}), kind: 'process' as const, action, process: { of: 'backend' as const, backend: member } });

beforeAll(async () => {
  topology = await startEmbeddedTopology({ plan, configDir: defaultGatewayConfigDir, ledgerPath, logsDir: join(dir, 'gateway-logs'), seed: 16, env: {} });
}, 60_000);
afterAll(async () => {
  await topology?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a fleet member as its own process in the embedded topology', () => {
  const endpoint = (): string => topology.members!.byName.get(member)!.backend.endpoint;
  const memberRecords = (): LedgerRecord[] => memberLedgerRecords(topology.members!.byName.get(member)!);

  it('runs only the named member as a process, and the fleet description and the gateways point at it', async () => {
    expect([...topology.members!.byName.keys()]).toEqual([member]);
    expect(topology.fleet.describe().backends.map((b) => b.name)).not.toContain(member);
    const described = topology.fleetHandle.description.backends.find((b) => b.name === member)!;
    expect(described.endpoint).toBe(endpoint());
    expect(topology.fleetHandle.description.backends.map((b) => b.name)).toEqual(topology.topology.resources.map((r) => r.name));
    expect((await chat(endpoint(), 'before-1')).status).toBe(200);
    expect((await chat(endpoint(), 'before-2')).status).toBe(200);
    await until(() => memberRecords().length >= 2);
    expect(memberRecords().map((r) => r.type === 'request' && r.correlationId)).toEqual(['before-1', 'before-2']);
  });

  it('kill: the member refuses connections, the gateway routes around it, and it serves again on the same endpoint after', async () => {
    const inject = processInjector(new Map(), topology.members!.byName);
    const undo = await inject(step('kill'));
    killWindow.from = Date.now();
    try {
      expect(await refusedCode(chat(endpoint(), 'during-kill'))).toBe('ECONNREFUSED');
      // Through the primary region's gateway: its pool has the other East US PTU member at the
      // same priority, so some requests are answered there (the ledger check below shows by whom).
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await chat(topology.describe().regions[0]!.url, `gateway-during-kill-${i}`, 'local-user-facing-key')).status);
      expect(statuses).toContain(200);
    } finally {
      killWindow.to = Date.now();
      await undo();
    }
    expect((await chat(endpoint(), 'after-kill')).status).toBe(200);
  });

  it('pause: a request to the member hangs until the step ends, then is answered', async () => {
    const inject = processInjector(new Map(), topology.members!.byName);
    const undo = await inject(step('pause'));
    let settled = false;
    const pending = chat(endpoint(), 'during-pause').then((response) => {
      settled = true;
      return response.status;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(settled).toBe(false);
    await undo();
    expect(await pending).toBe(200);
  });

  it('a fault rule reaches the member, and comes back with a restarted process', async () => {
    const fault = fleetFaultInjector(topology.fleetHandle);
    const clear = await fault({ id: 'member-500', at: 0, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: member } } } as Parameters<typeof fault>[0]);
    expect((await chat(endpoint(), 'fault-before-restart')).status).toBe(500);
    const pid = topology.members!.byName.get(member)!.process.pid;
    await processInjector(new Map(), topology.members!.byName)(step('restart', false));
    expect(topology.members!.byName.get(member)!.process.pid).not.toBe(pid);
    expect((await chat(endpoint(), 'fault-after-restart')).status).toBe(500);
    await clear();
    expect((await chat(endpoint(), 'after-restart')).status).toBe(200);
  });

  it('disconnect-config on a member is refused by the injector', async () => {
    await expect(processInjector(new Map(), topology.members!.byName)({ ...step('kill'), action: 'disconnect-config' })).rejects.toThrow(/has none/);
  });

  it("once closed, the run's ledger holds the member's records from before and after the kill and the restart, with seqs unique and in order", async () => {
    await until(() => memberRecords().some((r) => r.type === 'request' && r.correlationId === 'after-restart'));
    await topology.close();
    const records = readFileSync(ledgerPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as LedgerRecord);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const ofMember = records.flatMap((r) => (r.type === 'request' && r.backend === member ? [r.correlationId] : []));
    for (const id of ['before-1', 'before-2', 'after-kill', 'during-pause', 'fault-before-restart', 'fault-after-restart', 'after-restart']) expect(ofMember).toContain(id);
    // The rule was injected and cleared on the member (twice injected: again in the restarted process).
    const faultChanges = records.filter((r) => r.type === 'fault' && r.rule.label === 'member-500').map((r) => r.type === 'fault' && r.action);
    expect(faultChanges).toEqual(['inject', 'inject', 'clear']);
    // The gateway's requests during the kill were answered by the harness's own fleet, none by the dead member.
    // (The gateway sends its own x-correlation-id, so they are found by time.)
    const duringKill = records.flatMap((r) => (r.type === 'request' && r.start >= killWindow.from && r.end <= killWindow.to ? [r] : []));
    expect(duringKill.some((r) => r.status === 200)).toBe(true);
    expect(duringKill.filter((r) => r.backend === member)).toEqual([]);
  });
});
