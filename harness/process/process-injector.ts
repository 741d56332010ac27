import type { FaultInjector } from '../run/fault-timeline.ts';
import type { FleetMember } from './fleet-members.ts';
import type { GatewayProcess } from './gateway-process.ts';

/**
 * Applies `process` steps to the gateways and fleet members that run as their own processes
 * (gateways by region, any case; members by name; a member started again gets the run's fault
 * rules back, fleet-members.ts): kill is SIGKILL now and a new process when the step ends; pause is SIGSTOP, then
 * SIGCONT; restart is SIGTERM and a new process at once (nothing to undo); disconnect-config
 * makes the configuration source unreachable until the step ends.
 */
export function processInjector(gateways: ReadonlyMap<string, GatewayProcess>, members: ReadonlyMap<string, FleetMember> = new Map()): FaultInjector<'process'> {
  return async (step) => {
    const target = step.process;
    if (target.of === 'backend') {
      const member = members.get(target.backend);
      if (!member) throw new Error(`fleet member "${target.backend}" does not run as its own process`);
      switch (step.action) {
        case 'kill':
          await member.process.kill();
          if (step.for === undefined) return async () => {};
          return async () => {
            await member.start();
          };
        case 'pause':
          member.process.pause();
          return async () => member.process.resume();
        case 'restart':
          await member.restart();
          return async () => {};
        case 'disconnect-config':
          throw new Error(`"disconnect-config" cuts a gateway from its configuration source; fleet member "${target.backend}" has none`);
      }
    }
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
