// The fleet container's process (the image's CMD). As PID 1 it gets no default signal
// handling, so the stop signals are handled here explicitly: `docker stop` and Container Apps
// send SIGTERM, and the fleet must close its ledger before the container goes.
import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';
import { containerConfigFrom } from './container-config.ts';
import { FleetDidNotStart, startFleetContainer } from './fleet-container.ts';

try {
  const config = containerConfigFrom(process.env);
  const running = await startFleetContainer(config, process.env);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => running.stop());
  process.stdout.write(`${JSON.stringify(running.description)}\n`);
  process.exitCode = await running.ended;
} catch (error) {
  if (error instanceof FleetDidNotStart) process.exitCode = error.exitCode;
  else {
    process.stderr.write(`spillway fleet container: ${error instanceof UserFacingError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  }
}
