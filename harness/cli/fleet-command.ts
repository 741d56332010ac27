import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseNumberOption } from './option-parsers.ts';
import { onStopSignal } from './stop-signals.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

export function registerFleetCommand(program: Command): void {
  const fleet = program.command('fleet').description('the mock Azure OpenAI fleet');
  fleet
    .command('up')
    .description('start the mock fleet and run until Ctrl-C (or --duration)')
    .option('--topology <file>', 'topology file (default: two regions, 2 PTU + 1 PAYG each)')
    .option('--json', 'print one JSON line describing the fleet once every listener is ready')
    .option('--port-base <port>', 'resource i listens on port-base + i', parseNumberOption('--port-base', { integer: true, min: 1, max: 65000 }))
    .option('--control-port <port>', 'port of the control API (default: any free port)', parseNumberOption('--control-port', { integer: true, min: 1, max: 65535 }))
    .option('--control-host <host>', 'address the control API listens on (default 127.0.0.1); beyond loopback it needs SPILLWAY_CONTROL_TOKEN')
    .option('--ledger <file>', 'where to write the JSONL ledger (default: results/fleet-<time>/ledger.jsonl)')
    .option('--latency-scale <factor>', 'multiply modeled latency (0 answers at once)', parseNumberOption('--latency-scale', { min: 0 }))
    .option('--seed <n>', 'seed for jitter, lengths and fault rates', parseNumberOption('--seed', { integer: true }))
    .option('--duration <seconds>', 'stop by itself after this many seconds', parseNumberOption('--duration', { min: 0.1 }))
    .addHelpText('after', '\nThe control API answers loopback callers only; set SPILLWAY_CONTROL_TOKEN to require a bearer token instead,\nwhich --control-host needs to listen beyond loopback.')
    .action(async (options: { topology?: string; json?: boolean; portBase?: number; controlPort?: number; controlHost?: string; ledger?: string; latencyScale?: number; seed?: number; duration?: number }) => {
      // Loaded when the fleet starts, not when the command line is parsed (commands.ts says why).
      const [{ defaultTopologyPath, loadTopologyFile }, { startControlledFleet }, { checkOutputFile }] = await Promise.all([
        import('../../mocks/aoai/topology.ts'),
        import('../targets/controlled-fleet.ts'),
        import('../run/output-paths.ts'),
      ]);
      const topologyPath = options.topology ? resolve(options.topology) : defaultTopologyPath;
      const topology = loadTopologyFile(topologyPath);
      if (options.latencyScale !== undefined) topology.latencyScale = options.latencyScale;
      if (options.seed !== undefined) topology.seed = options.seed;
      const ledgerPath = resolve(options.ledger ?? `results/fleet-${new Date().toISOString().replace(/[:.]/g, '-')}/ledger.jsonl`);
      checkOutputFile(ledgerPath, options.ledger !== undefined ? '--ledger' : 'the default ledger');
      let running;
      try {
        running = await startControlledFleet({
          topology,
          ledgerPath,
          ...(options.portBase !== undefined ? { portBase: options.portBase } : {}),
          ...(options.controlPort !== undefined ? { controlPort: options.controlPort } : {}),
          ...(options.controlHost !== undefined ? { controlHost: options.controlHost } : {}),
        });
      } catch (error) {
        throw new UserFacingError(error instanceof Error ? error.message : String(error));
      }
      const fleetRun = running;
      const description = fleetRun.describe();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(description)}\n`);
      } else {
        process.stdout.write(`mock Azure OpenAI fleet (${topologyPath})\n`);
        for (const backend of description.backends) {
          process.stdout.write(`  ${backend.name.padEnd(20)} ${backend.kind.padEnd(4)} ${backend.region.padEnd(10)} ${backend.endpoint}  ${backend.deployments.map((d) => `${d.name} (${d.capacityTpm} TPM)`).join(', ')}\n`);
        }
        process.stdout.write(`  control API          ${description.control}\n  ledger               ${description.ledger}\n`);
        process.stdout.write('Ctrl-C stops the fleet.\n');
      }

      await new Promise<void>((resolveStop) => {
        // Not once (stop-signals.ts): a terminal's Ctrl-C reaches this process twice when the
        // Node launcher forwards its own copy, and a second, unhandled SIGINT would kill it
        // mid-shutdown. The launcher's end and npm's signals arrive here as signals too.
        const stop = (): void => resolveStop();
        onStopSignal(stop);
        if (options.duration !== undefined) setTimeout(stop, options.duration * 1000).unref();
      });
      await fleetRun.close();
      if (!options.json) process.stdout.write(`fleet stopped; ${fleetRun.ledger.lastSeq} ledger records in ${description.ledger}\n`);
    });
}
