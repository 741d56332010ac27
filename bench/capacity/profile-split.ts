import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the embedded run's main thread spent its time, from a V8 CPU profile (`node --cpu-prof`):
 * the fleet, the gateways, the front door and the harness all run in that one process, so /proc
 * cannot split them; the profile can. Each sample is given to the nearest frame on its stack
 * that belongs to one of those parts (so msw, gpt-tokenizer, node:http and the shared log writer
 * count for whoever called them); a sample with no such frame is named by what it is (garbage
 * collection, V8 itself, Node's own I/O callbacks such as HTTP parsing, which no caller owns).
 *
 * Only samples inside a time window count (the load, while k6 ran). The profile's timestamps are
 * V8's monotonic clock in microseconds, the clock `process.hrtime` reads, the same in every
 * process of the machine.
 */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Parts of the repository that own a sample, by folder; the first match wins. */
const owners: readonly [string, string][] = [
  // The fleet's node:http adapter for msw; nothing else uses it.
  ['mocks/shared/msw-node-server.ts', 'fleet'],
  ['mocks/aoai/', 'fleet'],
  ['mocks/apim/', 'gateways'],
  ['mocks/frontdoor/', 'front door'],
  ['harness/', 'harness'],
  ['scenarios/', 'harness'],
  ['reports/', 'harness'],
  ['bin/', 'harness'],
];

/** Names for samples no owner's frame is on the stack of. */
function unowned(stack: readonly { functionName: string; rel: string | null }[]): string {
  const leaf = stack[0]!;
  if (leaf.functionName === '(garbage collector)') return 'garbage collection (no owner)';
  if (leaf.functionName === '(program)') return 'V8 and native code (no owner)';
  // The batched log writer's timer flushes whichever tables have rows waiting.
  if (stack.some((f) => f.rel === 'mocks/shared/jsonl-writer.ts')) return 'log writing, batched (no owner)';
  if (stack.some((f) => f.rel?.startsWith('mocks/shared/'))) return 'mocks/shared (no owner)';
  if (stack.some((f) => f.rel?.startsWith('node_modules/'))) return 'libraries (no owner)';
  return 'Node runtime: HTTP parsing, sockets, timers (no owner)';
}

export interface ProfileSplit {
  /** Samples in the window, idle ones left out. */
  busySamples: number;
  idleSamples: number;
  /** Share of busy samples per part, 0-1, largest first. */
  shares: { part: string; share: number }[];
}

export function splitProfile(profile: CpuProfile, repo: string, window: { fromMicros: number; toMicros: number }): ProfileSplit {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const relOf = (url: string): string | null => {
    if (!url.startsWith('file://')) return null;
    const rel = relative(repo, fileURLToPath(url)).split(sep).join('/');
    return rel.startsWith('..') ? null : rel;
  };
  // The part each node's samples belong to, computed once per node.
  const partOf = new Map<number, string>();
  const part = (id: number): string => {
    const known = partOf.get(id);
    if (known !== undefined) return known;
    const stack: { functionName: string; rel: string | null }[] = [];
    let answer: string | null = null;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const rel = relOf(frame.url);
      stack.push({ functionName: frame.functionName, rel });
      const owner = rel === null ? undefined : owners.find(([prefix]) => rel.startsWith(prefix));
      if (owner) {
        answer = owner[1];
        break;
      }
    }
    const result = answer ?? unowned(stack);
    partOf.set(id, result);
    return result;
  };
  const counts = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at < window.fromMicros || at > window.toMicros) return;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      idle++;
      return;
    }
    busy++;
    const p = part(id);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  });
  const shares = [...counts].map(([p, n]) => ({ part: p, share: busy === 0 ? 0 : n / busy })).sort((a, b) => b.share - a.share);
  return { busySamples: busy, idleSamples: idle, shares };
}
