import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultK6ConfigFile } from '../run/run-input.ts';
import { describeUnstartedFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig, type GatewayConfig } from '../../mocks/apim/config/index.ts';
import { compileGateway, GatewayCompileError } from '../../mocks/apim/gateway/compiled-gateway.ts';
import { loadK6Config } from '../run/scenario-plan.ts';
import { FleetFileError, loadFleetFile } from '../targets/fleet-file.ts';
import { expectationsMismatches } from '../verify/expectations-against-fleet.ts';
import { expectationsFromConfig, type FleetBackendFacts } from '../verify/expectations-from-config.ts';
import type { Expectations } from '../verify/expectations.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * What `spillway expectations` does (expectations-command.ts holds its command line): reads an
 * APIOps folder, the fleet and the consumer classes, and derives the expectations they imply.
 * A module of its own so that the command line does not load the emulator's configuration
 * reader and policy compiler on every start (commands.ts).
 */

export interface ExpectationsCommandOptions {
  /** APIOps folder (with emulator.json) the expectations are read from. */
  config: string;
  /** A file holding the line `spillway fleet up --json` printed. */
  fleet?: string;
  /** A topology file: the fleet it would start. */
  topology?: string;
  k6Config?: string;
  deployment: string;
}

export interface DerivedExpectations {
  expectations: Expectations;
  /** Things worth knowing that do not stop the command (stderr). */
  notes: string[];
}

/** Reads and checks every input, then derives the expectations; throws a UserFacingError naming the flag, file or field. */
export function deriveExpectations(options: ExpectationsCommandOptions): DerivedExpectations {
  if (options.fleet !== undefined && options.topology !== undefined) {
    throw new UserFacingError('--fleet and --topology each say which fleet the gateway sends to; give one of them');
  }
  const configDir = resolve(options.config);
  if (!isFolder(configDir)) throw new UserFacingError(`--config ${options.config}: not a folder; expected an APIOps artifact folder (apis/, products/, backends/, …) with emulator.json`);
  const gatewayConfig = loadGatewayConfig(configDir);
  const notes = compileProblems(gatewayConfig);

  const fleetSource = options.fleet !== undefined ? resolve(options.fleet) : resolve(options.topology ?? defaultTopologyPath);
  const fleet: FleetBackendFacts = options.fleet !== undefined ? readFleetFile(fleetSource) : describeUnstartedFleet(loadTopologyFile(fleetSource));
  const hosted = [...new Set(fleet.backends.flatMap((b) => b.deployments.map((d) => d.name)))];
  if (!hosted.includes(options.deployment)) {
    throw new UserFacingError(`--deployment "${options.deployment}": no backend of the fleet (${fleetSource}) hosts it (its deployments: ${hosted.join(', ') || 'none'})`);
  }

  const k6ConfigFile = resolve(options.k6Config ?? defaultK6ConfigFile);
  const k6Config = loadK6Config(k6ConfigFile);
  const expectations = expectationsFromConfig({ gatewayConfig, fleet, k6Config, deployment: options.deployment });

  // `spillway run --expectations` refuses a file naming backends its fleet does not have; the
  // same check here says so now, naming the configuration, rather than at the start of a run.
  const problems = expectationsMismatches(expectations, { fleet: fleet.backends, gateway: null, consumers: Object.keys(k6Config.consumers) });
  if (problems.length > 0) {
    throw new UserFacingError(`the expectations ${configDir} implies do not fit the fleet (${fleetSource}):\n${problems.map((p) => `  ${p}`).join('\n')}\n(a backend whose URL is https://<name>.openai.azure.com/… calls the fleet's resource <name>)`);
  }
  return { expectations, notes };
}

/**
 * The policies are compiled as `gateway up` would: a policy that does not parse is a broken
 * folder, refused. Elements the emulator does not run are only noted: expectations are drawn
 * from backends, regions and the front door, never from policies, and a real APIM's folder
 * may well use them.
 */
function compileProblems(config: GatewayConfig): string[] {
  try {
    compileGateway(config);
    return [];
  } catch (error) {
    if (!(error instanceof GatewayCompileError)) throw error;
    const unsupported = error.problems.filter((p) => p.code === 'unsupported-element' || p.code === 'unsupported-attribute');
    const broken = error.problems.filter((p) => !unsupported.includes(p));
    if (broken.length > 0) throw new GatewayCompileError(broken);
    return [`${config.dir}: ${unsupported.length} policy element${unsupported.length === 1 ? '' : 's'} the emulator does not run (\`spillway gateway check\` lists them); the expectations do not depend on them`];
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The fleet from a file holding `spillway fleet up --json`'s line (harness/targets/fleet-file.ts
 * checks it as `spillway run --fleet` does). Only its description is read: expectations do not
 * need the fleet to be running.
 */
function readFleetFile(file: string): FleetBackendFacts {
  try {
    return loadFleetFile(file);
  } catch (error) {
    if (error instanceof FleetFileError) throw new UserFacingError(`--fleet ${error.message}`, { cause: error });
    throw error;
  }
}
