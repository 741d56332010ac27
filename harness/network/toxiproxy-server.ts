import { spawn, type ChildProcess } from 'node:child_process';
import { parentDeathSignal } from '../run/parent-death-signal.ts';
import { toxiproxyAnswers } from './toxiproxy-client.ts';
import { onAFreePort, PortTakenError } from '../net/free-port.ts';

/**
 * The pinned toxiproxy-server (harness/tools/tool-specs.ts toxiproxySpec) as a child process on
 * a free loopback port. It dies with the harness however the harness ends (a parent-death
 * signal, as k6 does: harness/run/parent-death-signal.ts), so a harness killed outright does not
 * leave proxies holding ports. Its own log (a JSON line per API call) is kept to the last lines,
 * which an error quotes.
 */
export interface ToxiproxyServer {
  /** The HTTP API, e.g. http://127.0.0.1:41234. */
  readonly apiUrl: string;
  readonly pid: number | undefined;
  /** Stops it (SIGTERM, then SIGKILL after a grace period); safe to call twice. */
  stop(): Promise<void>;
}

export interface StartToxiproxyOptions {
  /** The toxiproxy-server binary (resolveTool(toxiproxySpec, ...).path). */
  binary: string;
  /** How long to wait for the API to answer; default 10 s. */
  readyTimeoutMs?: number;
}

const KEPT_LOG_LINES = 20;


export async function startToxiproxyServer(options: StartToxiproxyOptions): Promise<ToxiproxyServer> {
  // toxiproxy-server cannot be asked for port 0 for its API: a free one, tried again if taken.
  return onAFreePort((port) => startOnce(options, port));
}

async function startOnce(options: StartToxiproxyOptions, port: number): Promise<ToxiproxyServer> {
  const apiUrl = `http://127.0.0.1:${port}`;
  const launch = parentDeathSignal().wrap(options.binary, ['-host', '127.0.0.1', '-port', String(port)]);
  // info, not the default debug: a line per API call is noise; toxics and proxies still log.
  const child = spawn(launch.command, launch.args, { env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n').filter((l) => l.trim() !== '')) {
      lines.push(line);
      if (lines.length > KEPT_LOG_LINES) lines.shift();
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`));
  });
  let gone: string | null = null;
  void exited.then((why) => (gone = why));

  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  for (;;) {
    if (gone !== null) {
      const log = lines.join('\n');
      if (/address already in use/i.test(log)) throw new PortTakenError(`port ${port} was taken`);
      throw new Error(`toxiproxy-server (${options.binary}) ${gone} before its API answered on ${apiUrl}${log ? `; its last output:\n${log}` : ''}`);
    }
    if (await toxiproxyAnswers(apiUrl)) break;
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`toxiproxy-server (${options.binary}) did not answer on ${apiUrl}/version within ${options.readyTimeoutMs ?? 10_000} ms${lines.length ? `; its last output:\n${lines.join('\n')}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  let stopping: Promise<void> | null = null;
  return {
    apiUrl,
    pid: child.pid,
    stop() {
      stopping ??= stopChild(child, exited);
      return stopping;
    },
  };
}


async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
