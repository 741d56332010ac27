import { join } from 'node:path';
import { startFleet, type RunningFleet } from '../mocks/aoai/fleet.ts';
import { parseTopology } from '../mocks/aoai/topology.ts';

/**
 * The fleet the fleet benchmarks drive: one PTU resource in this process, zero modelled
 * latency and a capacity no benchmark reaches (so the limiter admits every request and the
 * benchmark measures the work, not 429s), its ledger written to a file in `work`.
 */
export async function startBenchFleet(work: string): Promise<{ fleet: RunningFleet; chatUrl: string }> {
  const topology = parseTopology(
    JSON.stringify({
      seed: 1,
      latencyScale: 0,
      resources: [{ name: 'aoai-bench', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1_000_000_000 }] }],
    }),
    'bench',
  );
  const fleet = await startFleet({ topology, ledgerPath: join(work, 'ledger.jsonl') });
  return { fleet, chatUrl: `${fleet.describe().backends[0]!.endpoint}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21` };
}
