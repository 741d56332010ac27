import { randomUUID } from 'node:crypto';
import type { RunningFleet } from '../../mocks/aoai/fleet.ts';
import { faultRequestProblems } from '../../mocks/aoai/fault-rules.ts';
import type { Topology } from '../../mocks/aoai/topology.ts';
import type { FaultRequest } from '../contracts/fault-rule.ts';
import type { FleetDescription } from '../contracts/fleet-description.ts';
import { ledgerLookup, type FleetHandle } from '../targets/fleet-handle.ts';
import { startedFleetHandle } from '../targets/started-fleet.ts';
import { memberLedgerRecords, type FleetMember, type FleetMembers } from './fleet-members.ts';

/**
 * The fleet of a run whose process steps name fleet members: the harness's own fleet (the other
 * resources) and the members in their processes (fleet-members.ts), handled as the one fleet of
 * the topology. Its description lists every backend in topology order, each member at its own
 * fixed endpoint. A fault rule goes to every part whose backends its target reaches (checked
 * against the whole fleet first, so a typo fails as it would on one fleet); a member that is
 * dead when the rule comes, or restarted while it holds, is given the rule again when it starts,
 * since a new process starts without faults, as the run's timeline does not. The preflight's
 * lookup reads the members' ledger files too. The ledgers are merged when the run ends
 * (mergeMemberLedgers), which the embedded topology does after every fleet closed.
 */
export function splitFleetHandle(local: RunningFleet, members: FleetMembers, topology: Topology, ledgerPath: string): FleetHandle {
  const localHandle = startedFleetHandle(local);
  const byName = new Map(local.describe().backends.map((b) => [b.name, b]));
  for (const member of members.byName.values()) byName.set(member.name, member.backend);
  const description: FleetDescription = {
    backends: topology.resources.map((resource) => byName.get(resource.name)!),
    control: local.describe().control,
    ledger: ledgerPath,
  };
  const faultable = topology.resources.map((r) => ({ name: r.name, region: r.region, deployments: r.deployments.map((d) => d.name) }));
  /** Whether a rule's target reaches one of these backends (as the fleet's own matching does). */
  const reaches = (request: FaultRequest, names: readonly string[]): boolean =>
    faultable.some(
      (backend) =>
        names.includes(backend.name) &&
        (request.target.backend === undefined || request.target.backend === backend.name) &&
        (request.target.region === undefined || request.target.region.toLowerCase() === backend.region.toLowerCase()) &&
        (request.target.deployment === undefined || backend.deployments.includes(request.target.deployment)),
    );
  const localNames = local.describe().backends.map((b) => b.name);

  /** The run's rules: the request, the harness fleet's id for it, and each member's current id (null while it is not running). */
  const rules = new Map<string, { request: FaultRequest; localId: string | null; memberIds: Map<string, string | null> }>();
  const injectInto = async (member: FleetMember, request: FaultRequest): Promise<string | null> => (member.process.running ? (await member.control.injectFault(request)).id : null);

  for (const member of members.byName.values()) {
    member.onStarted(async () => {
      for (const rule of rules.values()) {
        if (rule.memberIds.has(member.name)) rule.memberIds.set(member.name, await injectInto(member, rule.request));
      }
    });
  }

  const lookupLocal = localHandle.findInLedger;
  return {
    mode: 'started',
    description,
    async injectFault(request) {
      const problems = faultRequestProblems(request, faultable);
      if (problems.length > 0) throw new Error(`the fleet refused the fault: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
      const id = randomUUID();
      const rule = { request, localId: null as string | null, memberIds: new Map<string, string | null>() };
      rules.set(id, rule);
      try {
        if (reaches(request, localNames)) rule.localId = await localHandle.injectFault(request);
        for (const member of members.byName.values()) {
          if (reaches(request, [member.name])) rule.memberIds.set(member.name, await injectInto(member, request));
        }
      } catch (error) {
        await clear(id).catch(() => undefined);
        throw error;
      }
      return id;
    },
    clearFault: (id) => clear(id),
    findInLedger: async (query) => {
      const found = await lookupLocal(query);
      if (found) return found;
      for (const member of members.byName.values()) {
        const records = memberLedgerRecords(member);
        const hit = await ledgerLookup((after) => (after === 0 ? { records, next: records.length } : { records: [], next: after }), 0)(query);
        if (hit) return hit;
      }
      return null;
    },
    requestsSoFar: () => localHandle.requestsSoFar() + [...members.byName.values()].reduce((sum, member) => sum + memberLedgerRecords(member).length, 0),
    finishLedger: async () => ({ kind: 'ledger', status: 'collected', note: `the records of ${[...members.byName.keys()].join(', ')} (run as their own processes) are merged into it, renumbered, when the run ends` }),
    close: () => local.close(),
  };

  async function clear(id: string): Promise<void> {
    const rule = rules.get(id);
    if (!rule) return;
    rules.delete(id);
    if (rule.localId !== null) await localHandle.clearFault(rule.localId);
    for (const [name, memberId] of rule.memberIds) {
      const member = members.byName.get(name)!;
      // A member killed meanwhile took the rule with it; one restarted holds it under its new id.
      if (memberId !== null && member.process.running) await member.control.clearFault(memberId);
    }
  }
}
