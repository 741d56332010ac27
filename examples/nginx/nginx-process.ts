import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../../harness/net/free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';
import { parentDeathSignal } from '../../harness/run/parent-death-signal.ts';
import { compareVersions, findNginx, type NginxInstallation } from './find-nginx.ts';
import { nginxTemplatePath, renderNginxTemplateFile, type NginxTemplateValues } from './nginx-config.ts';

/**
 * Runs the nginx example for a test or a run: renders a template for the given fleet into a
 * fresh temporary folder, starts nginx there on 127.0.0.1, waits until it answers its health
 * path, and stops it leaving nothing behind.
 *
 * nginx runs as ONE process (`master_process off`), in the foreground (`daemon off`). A master
 * with workers would not do: the workers outlive a master killed outright and keep the port,
 * whereas one process started through `setpriv --pdeathsig SIGKILL` (parent-death-signal.ts)
 * dies with the process that started it, however that one ends. The gateway's behaviour is the
 * same: the upstream state the example relies on (failure counts, ejections) is one worker's
 * either way, since the template runs one worker.
 */
export class NginxStartError extends UserFacingError {}

export interface StartNginxOptions {
  /** The fleet the gateway sends to: its backends' endpoints fill the template (a FleetDescription, or backendsAtPortBase for a fleet not started yet). */
  fleet: NginxTemplateValues['fleet'];
  /** The template to render (default: the example, nginx.conf.template). */
  template?: string;
  /** Port on 127.0.0.1; 0 or absent: a free one. */
  port?: number;
  /** The path that answers 200 once nginx is up (the template's /healthz). */
  healthPath?: string;
  /** Which nginx (default: findNginx()). */
  nginx?: NginxInstallation;
  /** How long to wait for the health path before giving up (default 15 s). */
  startTimeoutMs?: number;
  /** Keep the run folder (configuration, logs) after stop(), for a person to read. */
  keepPrefix?: boolean;
}

export interface RunningNginx {
  /** http://127.0.0.1:<port>: the gateway URL (`spillway run --gateway-url`). */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The run folder: nginx.conf, access.log, error.log, temporary files. */
  readonly prefix: string;
  readonly configPath: string;
  /** One line per client request: the upstreams tried and what each answered. */
  readonly accessLogPath: string;
  /** Warnings such as "upstream server temporarily disabled" (an ejection). */
  readonly errorLogPath: string;
  readonly nginx: NginxInstallation;
  /** Why nginx would outlive this process if it were killed outright, or null when it would not. */
  readonly orphanRisk: string | null;
  /** What nginx wrote on stdout and stderr so far. */
  output(): string;
  /** SIGQUIT, then SIGKILL after 5 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

const stopGraceMs = 5_000;
/** A port another process took between our probe and nginx's bind is tried again with a new one. */
const portAttempts = 3;

export async function startNginx(options: StartNginxOptions): Promise<RunningNginx> {
  const nginx = options.nginx ?? (await requireNginx());
  const template = options.template ?? nginxTemplatePath;
  for (let attempt = 1; ; attempt++) {
    const port = options.port || (await freePort());
    try {
      return await startOnce(nginx, template, port, options);
    } catch (error) {
      const portTaken = error instanceof NginxStartError && /Address already in use/.test(error.message);
      if (!portTaken || options.port || attempt >= portAttempts) throw error;
    }
  }
}

async function requireNginx(): Promise<NginxInstallation> {
  const lookup = await findNginx();
  if (lookup.status === 'missing') throw new NginxStartError(lookup.reason);
  return lookup.nginx;
}

async function startOnce(nginx: NginxInstallation, template: string, port: number, options: StartNginxOptions): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'spillway-nginx-'));
  const removePrefix = (): void => {
    if (!options.keepPrefix) rmSync(prefix, { recursive: true, force: true });
  };
  const configPath = join(prefix, 'nginx.conf');
  try {
    // A template that does not fit the fleet is refused before anything starts.
    writeFileSync(configPath, renderNginxTemplateFile(template, { listen: `127.0.0.1:${port}`, prefix, fleet: options.fleet }));
  } catch (error) {
    rmSync(prefix, { recursive: true, force: true });
    throw error;
  }

  const args = ['-p', `${prefix}/`, '-c', configPath, '-g', 'daemon off; master_process off;'];
  // -e (1.19.5) sends the log nginx writes before reading its configuration to stderr, instead
  // of a compiled-in file a non-root user may not be able to open.
  if (compareVersions(nginx.version, '1.19.5') >= 0) args.unshift('-e', 'stderr');
  const deathSignal = parentDeathSignal();
  const wrapped = deathSignal.wrap(nginx.path, args);
  const child = spawn(wrapped.command, wrapped.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn that fails (ENOENT) emits 'error' and no 'exit'.
    child.once('error', (error) => {
      output += `${error.message}\n`;
      resolve({ code: null, signal: null });
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  // However this process ends without stop() (a test that throws, process.exit), nginx goes too.
  const killOnExit = (): void => {
    if (!gone) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const url = `http://127.0.0.1:${port}`;
  const stop = once(async () => {
    process.off('exit', killOnExit);
    await stopChild(child, exited, () => gone);
    removePrefix();
  });

  try {
    await waitUntilServing(child, exited, () => gone, url + (options.healthPath ?? '/healthz'), join(prefix, 'nginx.pid'), options.startTimeoutMs ?? 15_000);
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new NginxStartError(`nginx (${nginx.path} ${nginx.version}) did not start with ${template} on 127.0.0.1:${port}: ${reason}${output.trim() ? `\nnginx said (line numbers in nginx.conf are those of the template):\n${indent(output.trim())}` : ''}`);
  }

  return {
    url,
    port,
    pid: child.pid!,
    prefix,
    configPath,
    accessLogPath: join(prefix, 'access.log'),
    errorLogPath: join(prefix, 'error.log'),
    nginx,
    orphanRisk: deathSignal.missingReason === null ? null : `setpriv cannot set a parent-death signal: nginx (pid ${child.pid}) would keep running if this process were killed outright`,
    output: () => output,
    stop,
  };
}

/**
 * Ready means: this nginx wrote its pid file (it does so once its listening socket is bound, so
 * an answer on the port is not another process's) and the health path answers 200.
 */
async function waitUntilServing(child: ChildProcess, exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>, isGone: () => boolean, healthUrl: string, pidFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (isGone()) {
      const { code, signal } = await exited;
      throw new Error(`it exited (${signal ?? `code ${code}`}) before answering ${healthUrl}`);
    }
    if (readPid(pidFile) === child.pid) {
      try {
        const response = await fetch(healthUrl, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.status === 200) return;
        last = `${healthUrl} answered ${response.status}`;
      } catch (error) {
        last = `${healthUrl}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`;
      }
    }
    await sleep(50);
  }
  throw new Error(`not serving within ${timeoutMs} ms (${last})`);
}

function readPid(pidFile: string): number | null {
  try {
    return Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>, isGone: () => boolean): Promise<void> {
  if (isGone()) return;
  // SIGQUIT is nginx's graceful shutdown: open requests finish, then it exits.
  child.kill('SIGQUIT');
  const stopped = await Promise.race([exited.then(() => true), sleep(stopGraceMs).then(() => false)]);
  if (!stopped && !isGone()) {
    child.kill('SIGKILL');
    await exited;
  }
}


function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
