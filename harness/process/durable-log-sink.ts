import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { toEventGridEvent } from '../../mocks/apim/backends/circuit-breaker.ts';
import type { GatewayLogSink } from '../../mocks/apim/gateway/gateway-log-sink.ts';
import type { BreakerEvent } from '../contracts/breaker-events.ts';

/**
 * The log tables of a gateway that runs as its own process, there to be killed: each row is
 * written to its file (opened for appending) before the call returns, so a SIGKILL loses no row
 * of a request the gateway finished, and a restarted process appends to what the killed one
 * wrote. The in-process sink batches rows every 100 ms for CPU (gateway-log-sink.ts); a
 * SIGKILL would lose the batch, so a process gateway pays a write per row instead. The harness
 * merges these files into the run's own tables when the run ends (process-log-merge.ts).
 */
export function createDurableLogSink(dir: string): GatewayLogSink {
  mkdirSync(dir, { recursive: true });
  const open = (name: string): number => openSync(join(dir, name), 'a');
  const fds = {
    gateway: open('ApiManagementGatewayLogs.jsonl'),
    llm: open('ApiManagementGatewayLlmLog.jsonl'),
    events: open('circuit-breaker-events.jsonl'),
    metrics: open('token-metrics.jsonl'),
  };
  let closed = false;
  const write = (fd: number, row: object): void => {
    if (!closed) writeSync(fd, `${JSON.stringify(row)}\n`);
  };
  return {
    dir,
    recent: { gateway: [], llm: [], events: [], metrics: [] },
    gateway: (row) => write(fds.gateway, row),
    llm: (row) => write(fds.llm, row),
    breakerEvent(event, region) {
      const shaped: BreakerEvent = { ...toEventGridEvent(event), region };
      write(fds.events, shaped);
    },
    metric: (row) => write(fds.metrics, row),
    async close() {
      if (closed) return;
      closed = true;
      for (const fd of Object.values(fds)) closeSync(fd);
    },
  };
}
