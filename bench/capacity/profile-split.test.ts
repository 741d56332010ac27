import { describe, expect, it } from 'vitest';
import { splitProfile, type CpuProfile } from './profile-split.ts';

const repo = '/repo';
const frame = (id: number, functionName: string, url: string, children: number[] = []): CpuProfile['nodes'][number] => ({ id, callFrame: { functionName, url }, children });

/**
 * root ─┬─ (idle) 2
 *       ├─ (garbage collector) 3
 *       ├─ parserOnIncoming node:_http_server 4 ─ handle mocks/aoai/fleet.ts 5 ─ encode node_modules/gpt-tokenizer 6
 *       ├─ processTimers node:timers 7 ─ flush mocks/shared/jsonl-writer.ts 8
 *       ├─ onStreamRead node:internal 9
 *       ├─ serve mocks/shared/msw-node-server.ts 10
 *       └─ policy mocks/apim/gateway/pipeline.ts 11 ─ runTimeline harness/run/fault-timeline.ts 12
 */
const profile: CpuProfile = {
  nodes: [
    frame(1, '(root)', '', [2, 3, 4, 7, 9, 10, 11]),
    frame(2, '(idle)', ''),
    frame(3, '(garbage collector)', ''),
    frame(4, 'parserOnIncoming', 'node:_http_server', [5]),
    frame(5, 'handle', 'file:///repo/mocks/aoai/fleet.ts', [6]),
    frame(6, 'encode', 'file:///repo/node_modules/gpt-tokenizer/esm/index.js'),
    frame(7, 'processTimers', 'node:internal/timers', [8]),
    frame(8, 'flush', 'file:///repo/mocks/shared/jsonl-writer.ts'),
    frame(9, 'onStreamRead', 'node:internal/stream_base_commons'),
    frame(10, 'serve', 'file:///repo/mocks/shared/msw-node-server.ts'),
    frame(11, 'policy', 'file:///repo/mocks/apim/gateway/pipeline.ts', [12]),
    frame(12, 'runTimeline', 'file:///repo/harness/run/fault-timeline.ts'),
  ],
  startTime: 1_000,
  endTime: 2_000,
  // One sample every 10 µs from 1,010 to 1,100.
  samples: [2, 2, 3, 6, 5, 8, 9, 10, 12, 6],
  timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
};

const shareOf = (split: ReturnType<typeof splitProfile>, part: string): number | undefined => split.shares.find((s) => s.part === part)?.share;

describe('splitProfile', () => {
  it('gives each busy sample to the nearest owning frame, and names the rest by what they are', () => {
    const split = splitProfile(profile, repo, { fromMicros: 0, toMicros: Number.POSITIVE_INFINITY });
    expect(split.idleSamples).toBe(2);
    expect(split.busySamples).toBe(8);
    // The tokenizer (a library) counts for the fleet that called it; so does its msw adapter.
    expect(shareOf(split, 'fleet')).toBeCloseTo(4 / 8);
    // The nearest owner wins: the harness frame sits below the gateway's on the stack.
    expect(shareOf(split, 'harness')).toBeCloseTo(1 / 8);
    expect(shareOf(split, 'gateways')).toBeUndefined();
    expect(shareOf(split, 'garbage collection (no owner)')).toBeCloseTo(1 / 8);
    expect(shareOf(split, 'log writing, batched (no owner)')).toBeCloseTo(1 / 8);
    expect(shareOf(split, 'Node runtime: HTTP parsing, sockets, timers (no owner)')).toBeCloseTo(1 / 8);
    expect(split.shares.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1);
  });

  it('counts only the samples inside the window', () => {
    // Samples at 1,010 … 1,100: the window 1,045-1,075 holds those at 1,050, 1,060 and 1,070.
    const split = splitProfile(profile, repo, { fromMicros: 1_045, toMicros: 1_075 });
    expect(split.busySamples).toBe(3);
    expect(split.idleSamples).toBe(0);
    expect(shareOf(split, 'fleet')).toBeCloseTo(1 / 3);
    expect(shareOf(split, 'log writing, batched (no owner)')).toBeCloseTo(1 / 3);
    expect(shareOf(split, 'Node runtime: HTTP parsing, sockets, timers (no owner)')).toBeCloseTo(1 / 3);
  });
});
