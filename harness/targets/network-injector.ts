import type { FaultInjector } from '../run/fault-timeline.ts';
import type { StepOf } from '../run/scenario-plan.ts';
import type { NetworkLinks } from '../network/network-links.ts';
import type { ToxicSpec } from '../network/toxiproxy-client.ts';

/**
 * Applies a `network` step through Toxiproxy: `down` disables every proxy on the step's link
 * (connections refused; open ones closed), any other type adds a toxic named after the step to
 * each of them. The rollback re-enables the proxies or removes the toxics. A step on a link of
 * several proxies (a region's backends) is applied to all or none: what did apply is undone
 * before the error is passed on.
 */
export function networkInjector(links: NetworkLinks): FaultInjector<'network'> {
  return async (step) => {
    const proxies = links.proxiesFor(step.link);
    const toxic = step.toxic.type === 'down' ? null : toxicSpec(step.toxic);
    const undo: (() => Promise<unknown>)[] = [];
    try {
      for (const proxy of proxies) {
        if (toxic === null) {
          await links.toxiproxy.setEnabled(proxy, false);
          undo.push(() => links.toxiproxy.setEnabled(proxy, true));
        } else {
          await links.toxiproxy.addToxic(proxy, { name: step.id, stream: step.stream, toxicity: step.toxicity, toxic });
          undo.push(() => links.toxiproxy.removeToxic(proxy, step.id));
        }
      }
    } catch (error) {
      await Promise.allSettled(undo.map((u) => u()));
      throw error;
    }
    return async () => {
      // Every proxy is restored even when one fails; the first failure is reported.
      const results = await Promise.allSettled(undo.map((u) => u()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
  };
}

/** The plan's toxic (its own field names, in ms, KB/s, bytes) in Toxiproxy's attribute names. */
export function toxicSpec(toxic: Exclude<StepOf<'network'>['toxic'], { type: 'down' }>): ToxicSpec {
  switch (toxic.type) {
    case 'latency':
      return { type: 'latency', attributes: { latency: toxic.latencyMs, jitter: toxic.jitterMs } };
    case 'bandwidth':
      return { type: 'bandwidth', attributes: { rate: toxic.rateKBps } };
    case 'timeout':
      return { type: 'timeout', attributes: { timeout: toxic.timeoutMs } };
    case 'reset_peer':
      return { type: 'reset_peer', attributes: { timeout: toxic.timeoutMs } };
    case 'slicer':
      return { type: 'slicer', attributes: { average_size: toxic.averageSize, size_variation: toxic.sizeVariation, delay: toxic.delayMicroseconds } };
    case 'limit_data':
      return { type: 'limit_data', attributes: { bytes: toxic.bytes } };
    case 'slow_close':
      return { type: 'slow_close', attributes: { delay: toxic.delayMs } };
  }
}
