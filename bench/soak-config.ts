import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the gateway benchmarks run (soak and overhead): a copy of the sample configuration
 * (deploy/apim) and a fleet topology with the default's resource names (the sample's backend
 * URLs name them).
 *
 * - Token limits multiplied by 100,000, as in the gateway overhead benchmark: the token-limit
 *   policy still counts every request, it just never says no, so requests run the whole
 *   pipeline (forwarding, LLM rows, token metrics) instead of ending in early 429s.
 * - The capacity model on (emulator.json `capacity`), when `capacity` is given: each regional
 *   gateway serves `requestsPerSecondPerUnit` × its units (1 in the sample) and queues at most
 *   `queueLength` requests beyond that, then drops connections, as an overloaded APIM does.
 * - Fleet capacities far above anything the benchmark sends, so the gateway is the bottleneck.
 */
export interface SoakCapacity {
  requestsPerSecondPerUnit: number;
  queueLength: number;
  queueTimeoutSeconds: number;
}

export function soakConfigDir(repo: string, work: string, capacity: SoakCapacity | null, options: { liftTokenLimits: boolean }): string {
  const dir = join(work, 'apim');
  cpSync(join(repo, 'deploy', 'apim'), dir, { recursive: true });
  const rewrite = (path: string): void => {
    for (const entry of readdirSync(path)) {
      const file = join(path, entry);
      if (statSync(file).isDirectory()) rewrite(file);
      else if (options.liftTokenLimits && file.endsWith('.xml')) writeFileSync(file, readFileSync(file, 'utf8').replace(/tokens-per-minute="(\d+)"/g, (_, n: string) => `tokens-per-minute="${Number(n) * 100_000}"`));
    }
  };
  rewrite(dir);
  if (capacity) {
    const emulatorFile = join(dir, 'emulator.json');
    const emulator = JSON.parse(readFileSync(emulatorFile, 'utf8')) as Record<string, unknown>;
    emulator.capacity = { enabled: true, ...capacity };
    writeFileSync(emulatorFile, JSON.stringify(emulator, null, 2));
  }
  return dir;
}

export function soakTopologyFile(work: string, latencyScale: number): string {
  const names = ['aoai-eastus-ptu1', 'aoai-eastus-ptu2', 'aoai-eastus-payg', 'aoai-westus-ptu1', 'aoai-westus-ptu2', 'aoai-westus-payg'];
  const file = join(work, 'topology.json');
  writeFileSync(
    file,
    JSON.stringify({
      seed: 1,
      latencyScale,
      resources: names.map((name) => ({
        name,
        region: name.includes('eastus') ? 'East US' : 'West US',
        kind: name.endsWith('payg') ? 'payg' : 'ptu',
        deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1_000_000_000, ...(name.endsWith('payg') ? { rpm: 100_000_000 } : {}) }],
      })),
    }),
  );
  return file;
}
