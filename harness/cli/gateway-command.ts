import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { FleetDescription, RunningFleet } from '../../mocks/aoai/fleet.ts';
import { parseNumberOption } from './option-parsers.ts';
import { onStopSignal } from './stop-signals.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/** The sample configuration shipped with Spillway; only its (obviously local) keys are ever printed. */
export const sampleConfigDir = fileURLToPath(new URL('../../deploy/apim', import.meta.url));

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isShippedSample(dir: string): boolean {
  try {
    return realpathSync(dir) === realpathSync(sampleConfigDir);
  } catch {
    return false;
  }
}

export function registerGatewayCommand(program: Command): void {
  const gateway = program.command('gateway').description('the local API Management gateway emulator');

  gateway
    .command('up')
    .description('start the regional gateways and the front door in front of a fleet (the default fleet unless --fleet is given)')
    .option('--config <dir>', 'APIOps artifact folder with emulator.json', sampleConfigDir)
    .option('--fleet <file>', 'attach to a running fleet: a file holding the line `spillway fleet up --json` printed')
    .option('--topology <file>', 'topology of the fleet to start (when --fleet is not given)')
    .option('--logs <dir>', 'where the gateway log tables are written (default: results/gateway-<time>)')
    .option('--latency-scale <factor>', "multiply the started fleet's modeled latency", parseNumberOption('--latency-scale', { min: 0 }))
    .option('--seed <n>', 'seed for pool selection and the fleet', parseNumberOption('--seed', { integer: true }))
    .option('--duration <seconds>', 'stop by itself after this many seconds', parseNumberOption('--duration', { min: 0.1 }))
    .option('--config-source <dir>', 'a configuration source: an APIOps folder polled for new configurations, kept serving the last good one when it is unreachable or bad (instead of --config)')
    .option('--poll-seconds <n>', 'how often --config-source is polled (default 5)', parseNumberOption('--poll-seconds', { min: 0.1 }))
    .option('--json', 'print one JSON line describing everything once it is ready')
    .action(async (options: { config: string; configSource?: string; pollSeconds?: number; fleet?: string; topology?: string; logs?: string; latencyScale?: number; seed?: number; duration?: number; json?: boolean }, command: Command) => {
      if (options.configSource !== undefined && command.getOptionValueSource('config') === 'cli') throw new UserFacingError('--config-source and --config: give one; the gateway starts from its configuration source');
      if (options.pollSeconds !== undefined && options.configSource === undefined) throw new UserFacingError('--poll-seconds needs --config-source');
      if (options.configSource !== undefined && !isFolder(resolve(options.configSource))) throw new UserFacingError(`--config-source ${options.configSource}: not a folder; expected an APIOps artifact folder (apis/, products/, backends/, …) the gateway can start from`);
      // Loaded when the gateway starts, not when the command line is parsed (commands.ts says why).
      const [
        { defaultTopologyPath, loadTopologyFile },
        { loadGatewayConfig },
        { compileGateway },
        { startGateway },
        { startConfigSource, versionOfFolder },
        { liveGateway },
        { startControlledFleet },
        { loadFleetFile },
        { checkOutputFolder },
      ] = await Promise.all([
        import('../../mocks/aoai/topology.ts'),
        import('../../mocks/apim/config/index.ts'),
        import('../../mocks/apim/gateway/compiled-gateway.ts'),
        import('../../mocks/apim/gateway/gateway.ts'),
        import('../../mocks/apim/gateway/config-source.ts'),
        import('../../mocks/apim/gateway/live-gateway.ts'),
        import('../targets/controlled-fleet.ts'),
        import('../targets/fleet-file.ts'),
        import('../run/output-paths.ts'),
      ]);
      const configDir = resolve(options.configSource ?? options.config);
      const config = loadGatewayConfig(configDir);
      // Refuses a configuration with problems before starting anything.
      const live = liveGateway(compileGateway(config));
      const logsDir = resolve(options.logs ?? `results/gateway-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      checkOutputFolder(logsDir, options.logs !== undefined ? '--logs' : 'the default logs folder');

      let fleet: RunningFleet | null = null;
      let fleetDescription: FleetDescription;
      if (options.fleet) {
        fleetDescription = loadFleetFile(resolve(options.fleet));
      } else {
        const topology = loadTopologyFile(options.topology ? resolve(options.topology) : defaultTopologyPath);
        if (options.latencyScale !== undefined) topology.latencyScale = options.latencyScale;
        if (options.seed !== undefined) topology.seed = options.seed;
        try {
          fleet = await startControlledFleet({ topology, ledgerPath: resolve(logsDir, 'fleet-ledger.jsonl') });
        } catch (error) {
          throw new UserFacingError(error instanceof Error ? error.message : String(error));
        }
        fleetDescription = fleet.describe();
      }
      let running;
      try {
        running = await startGateway({
          config,
          compiled: live.gateway,
          fleetEndpoints: new Map(fleetDescription.backends.map((b) => [b.name, b.endpoint])),
          logsDir,
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
        });
      } catch (error) {
        await fleet?.close();
        throw new UserFacingError(error instanceof Error ? error.message : String(error));
      }
      const pollSeconds = options.pollSeconds ?? 5;
      const source = options.configSource
        ? startConfigSource({ dir: configDir, pollSeconds, initial: { compiled: live.current(), version: versionOfFolder(configDir) }, apply: (next) => live.swap(next), logsDir })
        : null;
      const showKeys = isShippedSample(configDir);
      const description = {
        frontDoor: running.frontDoor?.url ?? null,
        regions: running.instances.map((instance) => ({ name: instance.region, url: instance.url })),
        subscriptions: config.subscriptions.map((s) => ({
          name: s.id,
          product: s.scope.kind === 'product' ? s.scope.id : s.scope.kind === 'api' ? `api:${s.scope.id}` : 'all',
          ...(showKeys ? { key: s.primaryKey } : {}),
        })),
        fleet: fleetDescription,
        logs: logsDir,
        ...(source ? { configSource: { dir: configDir, pollSeconds, version: source.servingVersion } } : {}),
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(description)}\n`);
      } else {
        process.stdout.write(`API Management emulator (${configDir})\n`);
        if (description.frontDoor) process.stdout.write(`  front door           ${description.frontDoor}\n`);
        for (const region of description.regions) process.stdout.write(`  gateway ${region.name.padEnd(12)} ${region.url}\n`);
        for (const s of description.subscriptions) process.stdout.write(`  subscription ${s.name.padEnd(26)} ${s.product.padEnd(14)} ${'key' in s ? s.key : '(key not shown)'}\n`);
        if (source) process.stdout.write(`  config source        ${configDir} (polled every ${pollSeconds} s; version ${source.servingVersion}; changes logged in config-source.jsonl)\n`);
        process.stdout.write(`  fleet control        ${fleetDescription.control}\n  logs                 ${logsDir}\nCtrl-C stops everything.\n`);
      }
      await new Promise<void>((resolveStop) => {
        // Not once (stop-signals.ts): a terminal's Ctrl-C reaches this process twice when the
        // Node launcher forwards its own copy, and a second, unhandled SIGINT would kill it
        // mid-shutdown. The launcher's end and npm's signals arrive here as signals too.
        const stop = (): void => resolveStop();
        onStopSignal(stop);
        if (options.duration !== undefined) setTimeout(stop, options.duration * 1000).unref();
      });
      source?.stop();
      await running.close();
      await fleet?.close();
    });

  gateway
    .command('check')
    .description('validate a configuration and list exactly what the emulator does not support in it')
    .option('--config <dir>', 'APIOps artifact folder with emulator.json', sampleConfigDir)
    .option('--json', 'print the result as JSON')
    .action(async (options: { config: string; json?: boolean }) => {
      // A folder that is not there is a usage error (exit 2), not a configuration with problems (exit 1).
      if (!isFolder(resolve(options.config))) throw new UserFacingError(`--config ${options.config}: not a folder; expected an APIOps artifact folder (apis/, products/, backends/, …)`);
      // The configuration reader and the policy compiler, loaded when a check runs (commands.ts says why).
      const { checkGatewayConfig, formatCheck } = await import('./gateway-check.ts');
      const result = checkGatewayConfig(resolve(options.config));
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(formatCheck(result));
      process.exitCode = result.ok ? 0 : 1;
    });
}
