import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { systemClock, type Clock } from '../../shared/clock.ts';
import { loadGatewayConfig } from '../config/index.ts';
import { compileGateway, type CompiledGateway } from './compiled-gateway.ts';

/**
 * The emulator's configuration source: the stand-in for a self-hosted gateway's control plane.
 * A folder in the APIOps layout (the one `--config` reads) is polled every `pollSeconds`; a
 * version that loads and compiles replaces the configuration being served, and anything else is
 * refused while the gateway keeps serving the last good one, as a self-hosted APIM gateway does
 * when its control plane is unreachable:
 *
 * - unreachable: the folder cannot be read (missing, permission denied, a dangling link: what
 *   a `disconnect-config` step makes it);
 * - rejected: it reads, but does not load or compile (the first problem is logged).
 *
 * Every change of state is a row in `<logsDir>/config-source.jsonl`: when, what happened, what
 * failed, and which version the gateway keeps serving. A failure that persists is logged once,
 * when it starts, not at every poll; coming back is logged too. A version is the first 12 hex
 * digits of a SHA-256 over the folder's file names and contents, so the same files are the
 * same version wherever they are.
 */
export interface ConfigSourceRow {
  time: string;
  source: string;
  outcome: 'started' | 'applied' | 'unreachable' | 'rejected' | 'reachable';
  /** The version the gateway serves after this row. */
  servingVersion: string;
  /** The version the source offered, when it could be read. */
  offeredVersion?: string;
  problem?: string;
}

export interface ConfigSourceOptions {
  /** The folder to poll. */
  dir: string;
  pollSeconds: number;
  /** What the gateway serves when the source starts, and its version (versionOfFolder). */
  initial: { compiled: CompiledGateway; version: string };
  /** Called with each new good configuration. */
  apply(next: CompiledGateway, version: string): void;
  /** Where config-source.jsonl is written; null keeps the rows in memory only. */
  logsDir: string | null;
  clock?: Clock;
  /**
   * A BREAKAGE, for the drill that shows a gateway which forgets its configuration fails
   * (drills/self-hosted-gateway-disconnected.drill.json): 'drop-configuration' serves an empty
   * configuration (no API, no subscription: every request is answered 404) from the moment the
   * source is unreachable until it is back. A self-hosted APIM gateway keeps serving, which is
   * the default ('keep-serving'); nothing user-facing sets anything else.
   */
  whenUnreachable?: 'keep-serving' | 'drop-configuration';
}

/** The version a gateway serves once it has dropped its configuration (the 'drop-configuration' breakage). */
export const droppedConfigurationVersion = 'none';

export interface RunningConfigSource {
  readonly servingVersion: string;
  readonly rows: readonly ConfigSourceRow[];
  /** One poll now (the timer polls on its own); resolves when it is done. */
  poll(): Promise<void>;
  stop(): void;
}

export const configSourceLogFile = 'config-source.jsonl';

/** The folder's version; throws when it cannot be read. */
export function versionOfFolder(dir: string): string {
  const hash = createHash('sha256');
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() || statSync(path).isFile()) {
        hash.update(relative(dir, path)).update('\0').update(readFileSync(path)).update('\0');
      }
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 12);
}

export function startConfigSource(options: ConfigSourceOptions): RunningConfigSource {
  const clock = options.clock ?? systemClock;
  const rows: ConfigSourceRow[] = [];
  let serving = options.initial.version;
  let servingCompiled = options.initial.compiled;
  /** The last state logged, so a failure that persists is logged once. */
  let state: 'ok' | 'unreachable' | `rejected:${string}` = 'ok';
  if (options.logsDir) mkdirSync(options.logsDir, { recursive: true });
  const log = (row: Omit<ConfigSourceRow, 'time' | 'source' | 'servingVersion'>): void => {
    const full: ConfigSourceRow = { time: new Date(clock.now()).toISOString(), source: options.dir, ...row, servingVersion: serving };
    rows.push(full);
    // Written at once and synchronously: rare rows, and ones a killed gateway must not lose.
    if (options.logsDir) appendFileSync(join(options.logsDir, configSourceLogFile), `${JSON.stringify(full)}\n`);
  };
  log({ outcome: 'started' });

  const pollOnce = (): void => {
    let offered: string;
    try {
      offered = versionOfFolder(options.dir);
    } catch (error) {
      if (state !== 'unreachable') {
        if (options.whenUnreachable === 'drop-configuration') {
          // The breakage: the next reachable poll finds a version other than 'none' and applies it.
          options.apply(emptyConfiguration(servingCompiled), droppedConfigurationVersion);
          serving = droppedConfigurationVersion;
        }
        log({ outcome: 'unreachable', problem: messageOf(error) });
      }
      state = 'unreachable';
      return;
    }
    if (offered === serving) {
      if (state !== 'ok') log({ outcome: 'reachable', offeredVersion: offered });
      state = 'ok';
      return;
    }
    let compiled: CompiledGateway;
    try {
      compiled = compileGateway(loadGatewayConfig(options.dir));
    } catch (error) {
      if (state !== `rejected:${offered}`) log({ outcome: 'rejected', offeredVersion: offered, problem: messageOf(error) });
      state = `rejected:${offered}`;
      return;
    }
    options.apply(compiled, offered);
    serving = offered;
    servingCompiled = compiled;
    state = 'ok';
    log({ outcome: 'applied', offeredVersion: offered });
  };

  let running: Promise<void> = Promise.resolve();
  const poll = (): Promise<void> => {
    running = running.then(() => pollOnce());
    return running;
  };
  const timer = setInterval(() => void poll(), options.pollSeconds * 1000);
  timer.unref();
  return {
    get servingVersion() {
      return serving;
    },
    rows,
    poll,
    stop: () => clearInterval(timer),
  };
}

/** A configuration with no API and no subscription: what a gateway that dropped its configuration serves. */
function emptyConfiguration(from: CompiledGateway): CompiledGateway {
  return { ...from, config: { ...from.config, apis: [], subscriptions: [] }, subscriptionByKey: () => undefined };
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // One line: the first problem is enough to say why; the whole list is `spillway gateway check`'s.
  return text.split('\n').slice(0, 2).join(' ').trim();
}
