/**
 * A drill on the targets `spillway run` drives (harness/targets): the embedded default, a gateway
 * at a URL with Spillway's fleet behind it (started on fixed ports, or attached), or a real API
 * Management by its target file. What each can do for a drill, checked before anything starts:
 *
 * - embedded: everything; the kql probes and detection queries go to the offline workspace
 *   over the run's own gateway rows (offline-workspace.ts).
 * - a gateway at a URL: its own rows are not Spillway's to read, so a drill with kql probes or
 *   detection queries is refused, as is one with a configOverlay (the gateway's configuration
 *   is not Spillway's to change). http and verdict probes judge it.
 * - a real APIM (--target): its kql probes and detection queries go to its Log Analytics
 *   workspace through the real LogsQueryClient. Rows reach a workspace minutes late
 *   (ingestion lag), so they cannot gate the method: the before-gate judges the http probes,
 *   and the kql probes of the before window are judged after the run, once the target has
 *   waited for the run's rows. A configOverlay is refused (deploy it through APIOps first).
 *
 * The declared rollbacks clear fault rules on a fleet that outlives the drill: an attached one
 * (--fleet, or the target file's), through its control API.
 */
import type { Runtime } from '../containers/container-runtime.ts';
import { WorkspaceReader } from '../evidence/log-analytics/workspace-reader.ts';
import { FleetControlClient } from '../targets/fleet-control-client.ts';
import { loadFleetFile } from '../targets/fleet-file.ts';
import type { GatewayLogSource } from '../targets/gateway-log-source.ts';
import { loadTargetFile, type TargetFile } from '../targets/target-file.ts';
import { checkInvocation } from '../run/run-input.ts';
import { DrillFileError, type Drill } from './drill-file.ts';

export interface DrillTargetOptions {
  gatewayUrl?: string;
  fleetFile?: string;
  portBase?: number;
  topologyFile?: string;
  targetFile?: string;
  healthPath?: string;
  allowRemoteHost?: string;
  maxRate?: number;
  runtime?: Runtime;
  /** For tests: the gateway-log source of a target file (default: its Log Analytics workspace). */
  logSourceFor?: (file: TargetFile) => GatewayLogSource;
  /** For tests: the reader of a target file's workspace the drill's queries go to (default: the real one, DefaultAzureCredential). */
  workspaceFor?: (file: TargetFile) => WorkspaceReader;
}

export type DrillTargetKind = 'embedded' | 'gateway' | 'apim';

export function drillTargetKind(options: DrillTargetOptions): DrillTargetKind {
  return options.targetFile !== undefined ? 'apim' : options.gatewayUrl !== undefined ? 'gateway' : 'embedded';
}

/** What the drill needs that the target cannot give, each naming the field; empty when it can run there. */
export function drillProblemsOnTarget(drill: Drill, kind: DrillTargetKind): string[] {
  if (kind === 'embedded') return [];
  const where = kind === 'gateway' ? 'a gateway at a URL (--gateway-url)' : 'a real API Management (--target)';
  const problems: string[] = [];
  if (drill.spec.configOverlay !== undefined) {
    problems.push(`configOverlay: the drill lays "${drill.spec.configOverlay}" over the embedded gateway's configuration; the configuration of ${where} is not Spillway's to change: deploy it there first and drill without the overlay, or drill on the embedded default`);
  }
  if (kind === 'gateway') {
    drill.spec.steadyStateHypothesis.probes.forEach((p, i) => {
      if (p.kind === 'kql') problems.push(`steadyStateHypothesis.probes.${i} ("${p.name}"): a kql probe reads the gateway's own rows, which ${where} does not bring (use --target for an APIM with its Log Analytics workspace, or the embedded default)`);
    });
    drill.spec.detection.forEach((d, i) => problems.push(`detection.${i} ("${d.name}"): a detection query reads the gateway's own rows, which ${where} does not bring (use --target for an APIM with its Log Analytics workspace, or the embedded default)`));
  }
  return problems;
}

/** The fleet a declared rollback clears, when it outlives the drill (attached); null when it stops with the run. */
export function outlivingFleet(options: DrillTargetOptions): FleetControlClient | null {
  if (options.targetFile !== undefined) {
    const target = loadTargetFile(options.targetFile);
    return FleetControlClient.for({ control: target.fleet.control }, { SPILLWAY_CONTROL_TOKEN: process.env[target.fleet.tokenEnv] });
  }
  if (options.gatewayUrl !== undefined && options.fleetFile !== undefined) return FleetControlClient.for(loadFleetFile(options.fleetFile));
  return null;
}

/** The real APIM's workspace the drill's queries go to (its target file's workspaceId). */
export function targetWorkspace(options: DrillTargetOptions, say: (line: string) => void): { reader: WorkspaceReader; workspaceId: string } {
  const target = loadTargetFile(options.targetFile!);
  return { reader: options.workspaceFor?.(target) ?? new WorkspaceReader({ workspaceId: target.workspaceId, say }), workspaceId: target.workspaceId };
}

/** The run options the target flags become (runScenario's RunOptions). */
export function runTargetOptions(options: DrillTargetOptions) {
  return {
    ...(options.gatewayUrl !== undefined ? { gatewayUrl: options.gatewayUrl } : {}),
    ...(options.fleetFile !== undefined ? { fleetFile: options.fleetFile } : {}),
    ...(options.portBase !== undefined ? { portBase: options.portBase } : {}),
    ...(options.topologyFile !== undefined ? { topologyFile: options.topologyFile } : {}),
    ...(options.targetFile !== undefined ? { targetFile: options.targetFile } : {}),
    ...(options.healthPath !== undefined ? { healthPath: options.healthPath } : {}),
    ...(options.allowRemoteHost !== undefined ? { allowRemoteHost: options.allowRemoteHost } : {}),
    ...(options.maxRate !== undefined ? { maxRate: options.maxRate } : {}),
    ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
    ...(options.logSourceFor !== undefined ? { logSourceFor: options.logSourceFor } : {}),
  };
}

/**
 * Everything about the drill on its target that can be refused before anything starts: what the
 * target cannot do for it, and the target flags as `spillway run` checks them (flags that exclude
 * each other, a URL with credentials, load beyond loopback without --allow-remote and --max-rate,
 * files that do not exist). Throws a usage error; creates nothing.
 */
export function checkDrillOnTarget(drill: Drill, options: DrillTargetOptions & { resultsDir: string; gatewayConfigDir?: string; expectationsConfigDir?: string }): void {
  const unfit = drillProblemsOnTarget(drill, drillTargetKind(options));
  if (unfit.length > 0) throw new DrillFileError(`drill ${drill.name} cannot run on this target:\n${unfit.map((p) => `  ${drill.file}: ${p}`).join('\n')}`);
  checkInvocation(
    {
      scenario: drill.name,
      units: 1,
      resultsDir: options.resultsDir,
      ...(options.gatewayConfigDir !== undefined ? { gatewayConfigDir: options.gatewayConfigDir } : {}),
      ...(options.expectationsConfigDir !== undefined ? { expectationsConfigDir: options.expectationsConfigDir } : {}),
      ...runTargetOptions(options),
    },
    { plan: drill.plan, config: drill.config, configFile: drill.configFile },
  );
}
