/**
 * One fleet member (a one-resource topology) as its own process, so a `process` step can kill,
 * pause or restart it for real (harness/process/fleet-members.ts starts it). Its one argument is
 * a JSON FleetMemberArgs. It serves the resource on `port` and its control API on `controlPort`
 * (both fixed, so a restart keeps its endpoints), appends its ledger to `ledgerPath` writing each
 * record at once (a SIGKILL loses no record of a request it finished), and prints its fleet
 * description as one JSON line with `"ready": true` once it listens. SIGTERM and SIGINT close it.
 */
import type { Topology } from '../../mocks/aoai/topology.ts';
import { startControlledFleet } from '../targets/controlled-fleet.ts';

export interface FleetMemberArgs {
  topology: Topology;
  port: number;
  controlPort: number;
  ledgerPath: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as FleetMemberArgs;
const fleet = await startControlledFleet({ topology: args.topology, portBase: args.port, controlPort: args.controlPort, ledgerPath: args.ledgerPath, ledgerFlushMs: 0 });
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await fleet.close();
  process.exit(0);
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop());
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, ...fleet.describe() })}\n`);
