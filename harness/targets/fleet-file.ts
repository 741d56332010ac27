import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fleetDescriptionSchema, type FleetDescription } from '../contracts/fleet-description.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { FleetControlClient, FleetControlError, networkReason } from './fleet-control-client.ts';

/**
 * A fleet the run did not start: the description `spillway fleet up --json` printed, saved to a
 * file (`spillway run --fleet fleet.json`), read and checked here, and the check that its
 * listeners still answer before the run starts anything.
 */

/** A fleet file that cannot be read, is not JSON, or is not a fleet description. */
export class FleetFileError extends UserFacingError {}

/** A fleet whose listeners (control API or backends) do not answer. */
export class FleetUnreachableError extends UserFacingError {}

/**
 * Reads a fleet description from `path`: the one line `fleet up --json` prints (the file may
 * hold other lines too, as when stderr went to the same file), or the same JSON pretty-printed.
 * Every problem names the file and the field (`fleet.json: backends.2.endpoint: ...`).
 */
export function loadFleetFile(path: string): FleetDescription {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FleetFileError(`${path}: cannot read the fleet description (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  const raw = parseFleetJson(path, text);
  const parsed = fleetDescriptionSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new FleetFileError(`${path}: not a fleet description as \`spillway fleet up --json\` prints it:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/** The whole file as JSON, or else its one line that is a JSON object. */
function parseFleetJson(path: string, text: string): unknown {
  if (text.trim() === '') throw new FleetFileError(`${path}: empty; save the line \`spillway fleet up --json\` prints to it`);
  try {
    return JSON.parse(text);
  } catch (wholeFileError) {
    const objects = text
      .split('\n')
      .map((line, index) => ({ line: line.trim(), number: index + 1 }))
      .filter(({ line }) => line.startsWith('{'))
      .flatMap(({ line, number }) => {
        try {
          return [{ value: JSON.parse(line) as unknown, number }];
        } catch {
          return [];
        }
      });
    if (objects.length === 1) return objects[0]!.value;
    if (objects.length > 1) throw new FleetFileError(`${path}: lines ${objects.map((o) => o.number).join(', ')} each hold a JSON object; keep only the line \`spillway fleet up --json\` printed`);
    throw new FleetFileError(`${path}: not JSON (${wholeFileError instanceof Error ? wholeFileError.message : String(wholeFileError)}); save the line \`spillway fleet up --json\` prints to it`);
  }
}

export interface FleetReachabilityOptions {
  /** How long each listener may take to answer; default 2 s. */
  timeoutMs?: number;
  /** Where the description came from, for the message (e.g. the fleet file's path). */
  source?: string;
}

/**
 * Resolves when the fleet's control API answers `GET /health` (with the token the environment
 * sets) and every backend endpoint accepts a connection; otherwise rejects, before anything has
 * started, with a FleetUnreachableError naming every listener that did not answer. All the
 * checks run at once, each bounded by `timeoutMs`.
 *
 * A backend is only connected to, not sent a request: every request a backend answers is a
 * ledger record, and a preflight must not add records the run did not cause. (Whether the
 * gateway's requests reach the fleet is the gateway preflight's question, not this one's.)
 */
export async function checkFleetReachable(description: FleetDescription, env: NodeJS.ProcessEnv = process.env, options: FleetReachabilityOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const control = FleetControlClient.for(description, env, { timeoutMs });
  const checks: Promise<string | null>[] = [
    control.health({ timeoutMs }).then(
      () => null,
      (error: unknown) => {
        // Not answering is said once for all listeners, below; a refusal (401, 403) says what to do.
        if (error instanceof FleetControlError && error.status === null) return `the control API at ${description.control} does not answer (${networkReason(error.cause)})`;
        return error instanceof Error ? error.message : String(error);
      },
    ),
    ...description.backends.map(async (backend) => {
      const refusal = await connectionRefusal(backend.endpoint, timeoutMs);
      return refusal === null ? null : `backend ${backend.name} at ${backend.endpoint} does not accept connections (${refusal})`;
    }),
  ];
  const problems = (await Promise.all(checks)).filter((problem): problem is string => problem !== null);
  if (problems.length === 0) return;
  const fleet = options.source ? `the fleet in ${options.source}` : `the fleet at ${description.control}`;
  throw new FleetUnreachableError(`${fleet} does not answer; nothing was started:\n${problems.map((p) => `  ${p}`).join('\n')}\nis \`spillway fleet up\` still running? (a fleet started again gets new ports unless --port-base and --control-port fix them: save its new --json line)`);
}

/** Opens a TCP connection to the URL's host and port and closes it: null when it was accepted, else why not. */
function connectionRefusal(url: string, timeoutMs: number): Promise<string | null> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  // URL keeps an IPv6 host in brackets; a socket wants it bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timed out');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve(null);
    });
    // `on`, not `once`: an error after the connection (a reset while closing) must not go unhandled.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
  });
}

/**
 * The fleet as it runs now (`GET /fleet`), checked against its file: a file saved from an
 * earlier start, or a different fleet answering on the same control port, would feed wrong
 * backends or capacities into the plan checks and the verifiers. Backends must match by name,
 * region and kind; the live description (its endpoints and capacities) is the one to use.
 */
export async function liveFleetDescription(description: FleetDescription, source: string, env: NodeJS.ProcessEnv = process.env): Promise<FleetDescription> {
  const live = await FleetControlClient.for(description, env).describe();
  const key = (b: FleetDescription['backends'][number]): string => `${b.name} (${b.kind}, ${b.region})`;
  const inFile = new Set(description.backends.map(key));
  const running = new Set(live.backends.map(key));
  const onlyInFile = [...inFile].filter((b) => !running.has(b));
  const onlyRunning = [...running].filter((b) => !inFile.has(b));
  if (onlyInFile.length > 0 || onlyRunning.length > 0) {
    throw new FleetFileError(
      `${source}: the fleet answering at ${description.control} is not the one this file describes` +
        `${onlyInFile.length > 0 ? `; not running: ${onlyInFile.join(', ')}` : ''}${onlyRunning.length > 0 ? `; running but not in the file: ${onlyRunning.join(', ')}` : ''}` +
        ' (save the --json line of the fleet that is running)',
    );
  }
  return live;
}
