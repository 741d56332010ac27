import type { Clock } from '../shared/clock.ts';
import type { Rng } from '../shared/rng.ts';
import { paygLatencyProfile, ptuLatencyProfile, type LatencyProfile } from './latency-model.ts';
import type { LengthDistribution } from './completion-length.ts';
import { modelInfo, type ModelInfo } from './model-catalog.ts';
import { PaygLimiter } from './payg-limiter.ts';
import { PtuLimiter } from './ptu-limiter.ts';
import type { DeploymentConfig, ResourceKind } from './topology.ts';

/**
 * The live state of one deployment on one resource: its limiter and the models that shape
 * its answers. Each resource has its own, as each Azure deployment has its own capacity.
 */
export interface DeploymentRuntime {
  config: DeploymentConfig;
  model: ModelInfo;
  kind: ResourceKind;
  limiter: { kind: 'ptu'; ptu: PtuLimiter } | { kind: 'payg'; payg: PaygLimiter };
  latency: LatencyProfile;
  completionLength: LengthDistribution;
  /** Assumed max_tokens when a request sets none (Azure estimates one; 16 is what the PAYG estimate was seen to use). */
  defaultMaxTokensEstimate: number;
  capacity429Rate: number;
  utilizationHeader: boolean;
  rng: Rng;
}

/** Documented default: 10 seconds of capacity make 100% PTU utilization (Azure does not publish it). */
export const defaultPtuBucketSeconds = 10;

const defaultChatLength: LengthDistribution = { kind: 'normal', mean: 120, stdDev: 60, min: 1, max: 800 };

/** Embeddings answer in one step: a request-level latency, no tokens to stream. */
const embeddingLatency: LatencyProfile = { timeToFirstTokenMs: { mean: 80, stdDev: 25 }, perTokenMs: { mean: 0, stdDev: 0 } };

export function createDeploymentRuntime(config: DeploymentConfig, kind: ResourceKind, clock: Clock, rng: Rng): DeploymentRuntime {
  const model = modelInfo(config.model);
  if (!model) throw new Error(`unknown model ${config.model}`);
  const isEmbedding = model.operations.includes('embeddings');
  return {
    config,
    model,
    kind,
    limiter:
      kind === 'ptu'
        ? { kind: 'ptu', ptu: new PtuLimiter({ capacityTpm: config.capacityTpm, bucketSeconds: config.bucketSeconds ?? defaultPtuBucketSeconds }, clock) }
        : { kind: 'payg', payg: new PaygLimiter({ tpm: config.capacityTpm, ...(config.rpm !== undefined ? { rpm: config.rpm } : {}) }, clock) },
    latency: config.latency ?? (isEmbedding ? embeddingLatency : kind === 'ptu' ? ptuLatencyProfile : paygLatencyProfile),
    completionLength: config.completionLength ?? defaultChatLength,
    defaultMaxTokensEstimate: config.defaultMaxTokensEstimate ?? 16,
    capacity429Rate: config.capacity429Rate ?? 0,
    utilizationHeader: config.utilizationHeader ?? false,
    rng,
  };
}
