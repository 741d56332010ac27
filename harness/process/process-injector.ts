import type { FaultInjector } from '../run/fault-timeline.ts';
import type { GatewayProcess } from './gateway-process.ts';

/**
 * Applies `process` steps to the gateways that run as their own processes (by region, any
 * case): kill is SIGKILL now and a new process when the step ends; pause is SIGSTOP, then
 * SIGCONT; restart is SIGTERM and a new process at once (nothing to undo); disconnect-config
 * makes the configuration source unreachable until the step ends.
 */
export function processInjector(gateways: ReadonlyMap<string, GatewayProcess>): FaultInjector<'process'> {
  return async (step) => {
    const target = step.process;
    if (target.of !== 'gateway') throw new Error(`process steps on a backend (${target.backend}) are not applied by this target`);
    const gateway = gateways.get(target.region.toLowerCase());
    if (!gateway) throw new Error(`the gateway of "${target.region}" does not run as its own process`);
    switch (step.action) {
      case 'kill':
        await gateway.process.kill();
        // Without `for` it stays dead until the run ends: the run's end closes it, nothing to start.
        if (step.for === undefined) return async () => {};
        return async () => {
          await gateway.process.start();
        };
      case 'pause':
        gateway.process.pause();
        return async () => gateway.process.resume();
      case 'restart':
        await gateway.process.restart();
        return async () => {};
      case 'disconnect-config':
        gateway.disconnectConfig();
        return async () => gateway.reconnectConfig();
    }
  };
}
