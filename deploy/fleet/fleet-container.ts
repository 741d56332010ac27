import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fleetDescriptionSchema, type FleetDescription } from '../../harness/contracts/fleet-description.ts';
import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';
import { parseTopology } from '../../mocks/aoai/topology.ts';
import { topologyJsonVariable, type ContainerConfig } from './container-config.ts';
import { startFleetFront, type FleetFront } from './fleet-front.ts';

/**
 * What the fleet's container runs: `spillway fleet up --json`, exactly as on a laptop (its
 * listeners on loopback inside the container, its control API behind SPILLWAY_CONTROL_TOKEN,
 * its ledger written under /app/results), and the front (fleet-front.ts) on the container's one
 * public port. The CLI does the fleet's own checks and clean stop; this only adds the front and
 * passes the container's stop signal on.
 */

const spillwayBin = fileURLToPath(new URL('../../bin/spillway.js', import.meta.url));

/** The command line the container gives `spillway` (held to `fleet up --help` by fleet-contract.test.ts). */
export function fleetUpArguments(topologyPath: string): string[] {
  return ['fleet', 'up', '--json', '--topology', topologyPath];
}

export interface RunningContainer {
  /** The fleet as the outside sees it (the line the container prints). */
  readonly description: FleetDescription;
  /** Resolves with the exit code the container should end with, once the fleet has stopped. */
  readonly ended: Promise<number>;
  /** Stops the front, then the fleet (which closes its ledger). */
  stop(): void;
}

/**
 * Starts the fleet and its front. Rejects, with nothing left running, when the fleet does not
 * start (its own message is already on stderr) or the front cannot listen.
 */
export async function startFleetContainer(config: ContainerConfig, env: NodeJS.ProcessEnv): Promise<RunningContainer> {
  let topologyPath: string;
  let scratch: string | null = null;
  if (config.topology.kind === 'json') {
    // Checked here so that a bad topology names the variable it came from, not a scratch file.
    parseTopology(config.topology.text, topologyJsonVariable);
    scratch = mkdtempSync(join(tmpdir(), 'spillway-topology-'));
    topologyPath = join(scratch, 'topology.json');
    writeFileSync(topologyPath, config.topology.text);
  } else {
    topologyPath = config.topology.path;
  }
  const removeScratch = (): void => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };

  const child = spawn(process.execPath, [spillwayBin, ...fleetUpArguments(topologyPath)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  exited.then(removeScratch, removeScratch);

  let internal: FleetDescription;
  try {
    internal = await firstDescription(child, exited);
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    throw error;
  }

  let front: FleetFront;
  try {
    front = await startFleetFront({ internal, token: config.token, publicUrl: config.publicUrl, host: config.host, port: config.port });
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    throw new UserFacingError(`could not listen on ${config.host}:${config.port}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  let stopping = false;
  const ended = exited.then(async (code) => {
    await front.close();
    if (!stopping) process.stderr.write(`fleet container: the fleet stopped by itself (exit code ${code}); the container stops too\n`);
    return stopping && code === 0 ? 0 : code === 0 ? 1 : code;
  });
  return {
    description: front.describe(),
    ended,
    stop() {
      if (stopping) return;
      stopping = true;
      // The front first, so that nothing new arrives while the fleet writes the rest of its ledger.
      void front.close().then(() => child.kill('SIGTERM'));
    },
  };
}

/** The one JSON line `fleet up --json` prints once every listener is ready. */
async function firstDescription(child: ChildProcess, exited: Promise<number>): Promise<FleetDescription> {
  const lines = createInterface({ input: child.stdout! });
  const line = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    exited.then((code) => {
      throw new FleetDidNotStart(code);
    }),
  ]);
  // What the fleet prints after its line (nothing, today) must not fill the pipe and stall it.
  lines.on('line', () => undefined);
  return fleetDescriptionSchema.parse(JSON.parse(line));
}

/** The fleet ended before it was ready; it has said why on stderr. */
export class FleetDidNotStart extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`the fleet did not start (exit code ${exitCode})`);
    this.exitCode = exitCode;
  }
}
