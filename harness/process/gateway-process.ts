import { existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { freePort } from '../net/free-port.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayProcessArgs } from './gateway-process-main.ts';
import { ManagedProcess } from './managed-process.ts';

/**
 * One regional gateway run as its own process (gateway-process-main.ts), for `process` steps:
 * on a fixed port picked once, so the front door's origin and every URL in the evidence stay
 * the same across a kill or a restart; its log tables in `dir` (merged into the run's own when
 * the run ends, process-log-merge.ts); and its configuration source, a link in `dir` to the
 * configuration folder, polled every `pollSeconds`. `disconnectConfig` removes the link (the
 * source is unreachable, as a control plane cut off), `reconnectConfig` puts it back.
 */
export interface GatewayProcess {
  readonly region: string;
  readonly url: string;
  readonly dir: string;
  readonly process: ManagedProcess;
  disconnectConfig(): void;
  reconnectConfig(): void;
  close(): Promise<void>;
}

export interface GatewayProcessOptions {
  configDir: string;
  region: string;
  fleetEndpoints: ReadonlyMap<string, string>;
  /** Its own folder: log tables, its stderr (process.log), the config source link. */
  dir: string;
  seed?: number;
  pollSeconds?: number;
  host?: string;
}

const mainPath = fileURLToPath(new URL('./gateway-process-main.ts', import.meta.url));

export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  mkdirSync(options.dir, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const port = await freePort(host);
  const link = join(options.dir, 'config-source');
  const connect = (): void => {
    if (!isLink(link)) symlinkSync(options.configDir, link, 'dir');
  };
  connect();
  const args: GatewayProcessArgs = {
    configDir: options.configDir,
    region: options.region,
    port,
    host,
    fleetEndpoints: [...options.fleetEndpoints],
    logsDir: options.dir,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    configSource: { dir: link, pollSeconds: options.pollSeconds ?? 1 },
  };
  const managed = new ManagedProcess({
    name: `gateway ${options.region}`,
    command: process.execPath,
    args: ['--no-warnings', mainPath, JSON.stringify(args)],
    logFile: join(options.dir, 'process.log'),
  });
  const ready = await managed.start();
  return {
    region: options.region,
    url: String(ready.url),
    dir: options.dir,
    process: managed,
    disconnectConfig() {
      if (isLink(link)) unlinkSync(link);
    },
    reconnectConfig: connect,
    async close() {
      await managed.close();
      // The link would outlive the run pointing at the configuration; it is no evidence.
      if (isLink(link)) unlinkSync(link);
    },
  };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() || existsSync(path);
  } catch {
    return false;
  }
}

