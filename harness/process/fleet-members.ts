import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Topology } from '../../mocks/aoai/topology.ts';
import type { FleetBackend } from '../contracts/fleet-description.ts';
import type { LedgerRecord } from '../contracts/ledger-record.ts';
import type { ScenarioPlan } from '../run/scenario-plan.ts';
import { FleetControlClient } from '../targets/fleet-control-client.ts';
import { controlTokenFrom, controlTokenVariable } from '../targets/controlled-fleet.ts';
import type { FleetMemberArgs } from './fleet-member-main.ts';
import { freePort } from '../net/free-port.ts';
import { ManagedProcess } from './managed-process.ts';
import { processSteps } from './process-gateways.ts';

/**
 * The fleet members of the embedded topology that run as their own processes: those a `process`
 * step names, and only when the plan has such steps (the rest of the fleet stays in the harness,
 * as without them). Each is a one-resource fleet (fleet-member-main.ts) on a resource port and a
 * control port picked once, so the gateways' fleetEndpoints and the control client stay valid
 * across a kill or a restart. Its ledger is appended, record by record, to
 * `<dir>/ledger.jsonl` by every process it runs as (a restarted one numbers from 1 again); when
 * the run ends they are merged into the run's fleet-ledger.jsonl and renumbered
 * (mergeMemberLedgers), so the run's ledger reads as one fleet's.
 */
export interface FleetMember {
  readonly name: string;
  readonly dir: string;
  readonly ledgerPath: string;
  readonly backend: FleetBackend;
  readonly control: FleetControlClient;
  readonly process: ManagedProcess;
  /** Starts it again after a kill, then calls every onStarted hook (the fault rules it must carry again). */
  start(): Promise<void>;
  /** SIGTERM and a new process at once, then the onStarted hooks. */
  restart(): Promise<void>;
  onStarted(hook: () => Promise<void>): void;
}

export interface FleetMembers {
  readonly byName: ReadonlyMap<string, FleetMember>;
  /** Stops every member process (their ledger files stay, for the merge). */
  close(): Promise<void>;
}

const mainPath = fileURLToPath(new URL('./fleet-member-main.ts', import.meta.url));

/** The fleet resources a process step names, in topology order. */
export function processBackendNames(plan: ScenarioPlan, topology: Topology): string[] {
  const named = new Set(processSteps(plan).flatMap((step) => (step.process.of === 'backend' ? [step.process.backend] : [])));
  return topology.resources.filter((resource) => named.has(resource.name)).map((resource) => resource.name);
}

/** The topology without the members that run as their own processes: what the harness's fleet serves. */
export function topologyWithout(topology: Topology, names: readonly string[]): Topology {
  return { ...topology, resources: topology.resources.filter((resource) => !names.includes(resource.name)) };
}

export async function startFleetMembers(args: { topology: Topology; names: readonly string[]; dir: string; env?: NodeJS.ProcessEnv }): Promise<FleetMembers> {
  const started: FleetMember[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(started.map((member) => member.process.close()));
  };
  // The child reads its control token as every fleet does (controlled-fleet.ts), from the run's `env`.
  const token = controlTokenFrom(args.env ?? process.env);
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv[controlTokenVariable];
  if (token !== undefined) childEnv[controlTokenVariable] = token;
  try {
    for (const name of args.names) {
      const resource = args.topology.resources.find((r) => r.name === name)!;
      const dir = join(args.dir, name);
      mkdirSync(dir, { recursive: true });
      const host = args.topology.host;
      const memberArgs: FleetMemberArgs = {
        topology: { ...args.topology, resources: [resource] },
        port: resource.port !== 0 ? resource.port : await freePort(host),
        controlPort: await freePort('127.0.0.1'),
        ledgerPath: join(dir, 'ledger.jsonl'),
      };
      const managed = new ManagedProcess({
        name: `fleet member ${name}`,
        command: process.execPath,
        args: ['--no-warnings', mainPath, JSON.stringify(memberArgs)],
        env: childEnv,
        logFile: join(dir, 'process.log'),
      });
      const ready = (await managed.start()) as unknown as { backends: FleetBackend[]; control: string };
      const hooks: (() => Promise<void>)[] = [];
      const afterStart = async (): Promise<void> => {
        for (const hook of hooks) await hook();
      };
      started.push({
        name,
        dir,
        ledgerPath: memberArgs.ledgerPath,
        backend: ready.backends[0]!,
        control: new FleetControlClient({ control: ready.control, token }),
        process: managed,
        async start() {
          await managed.start();
          await afterStart();
        },
        async restart() {
          await managed.restart();
          await afterStart();
        },
        onStarted: (hook) => void hooks.push(hook),
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { byName: new Map(started.map((member) => [member.name, member])), close };
}

/** The records in a member's ledger file so far (every process it ran as), in the order written; a torn last line of a killed process is left out. */
export function memberLedgerRecords(member: Pick<FleetMember, 'ledgerPath'>): LedgerRecord[] {
  if (!existsSync(member.ledgerPath)) return [];
  const records: LedgerRecord[] = [];
  for (const line of readFileSync(member.ledgerPath, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    try {
      records.push(JSON.parse(line) as LedgerRecord);
    } catch {}
  }
  return records;
}

/**
 * Folds the members' ledgers into the run's (written by the harness's own fleet), once every
 * writer has closed: every record of every file, ordered by when it happened (a request by its
 * end, when the fleet records it; a fault change by its time), stably, and numbered again from
 * 1, so seq stays the one running number the contract promises across the members' restarts.
 * A line that does not parse (torn by a SIGKILL mid-write) is kept, first, for the contract
 * check to name rather than silently dropped.
 */
export function mergeMemberLedgers(ledgerPath: string, members: readonly Pick<FleetMember, 'ledgerPath'>[]): { records: number; fromMembers: number } {
  const rows: { record: Record<string, unknown> | null; text: string; time: number }[] = [];
  let fromMembers = 0;
  for (const [index, file] of [ledgerPath, ...members.map((m) => m.ledgerPath)].entries()) {
    if (!existsSync(file)) continue;
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (text.length === 0) continue;
      if (index > 0) fromMembers += 1;
      try {
        const record = JSON.parse(text) as Record<string, unknown>;
        const time = Number(record.type === 'fault' ? record.at : record.end);
        rows.push({ record, text, time: Number.isFinite(time) ? time : Number.NEGATIVE_INFINITY });
      } catch {
        rows.push({ record: null, text, time: Number.NEGATIVE_INFINITY });
      }
    }
  }
  rows.sort((a, b) => a.time - b.time);
  let seq = 0;
  const lines = rows.map((row) => {
    if (!row.record) return row.text;
    seq += 1;
    // seq as the last key, as the fleet writes it.
    const { seq: _old, ...rest } = row.record;
    return JSON.stringify({ ...rest, seq });
  });
  writeFileSync(ledgerPath, lines.map((line) => `${line}\n`).join(''));
  return { records: seq, fromMembers };
}
