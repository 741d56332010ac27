import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * The ConfigMap that carries a scenario's bundle to the k6-operator runners, which mount it and
 * run the file named in the TestRun's spec.script.configMap.
 *
 * Kubernetes refuses a ConfigMap whose data exceeds 1 MiB; the check here says so before
 * anything is written, with the size, rather than leaving `kubectl apply` to fail later.
 */
export const configMapDataLimitBytes = 1024 * 1024;

export class ConfigMapTooLargeError extends UserFacingError {}

export interface ConfigMapManifest {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  data: Record<string, string>;
}

/** Bytes the API server counts for a ConfigMap's data: every key and value, UTF-8. */
export function configMapDataBytes(data: Record<string, string>): number {
  return Object.entries(data).reduce((sum, [key, value]) => sum + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8'), 0);
}

export function scriptConfigMap(input: { name: string; namespace: string; labels: Record<string, string>; file: string; bundle: string }): ConfigMapManifest {
  const data = { [input.file]: input.bundle };
  const bytes = configMapDataBytes(data);
  if (bytes > configMapDataLimitBytes) {
    throw new ConfigMapTooLargeError(
      `the ConfigMap ${input.name} would hold ${bytes.toLocaleString('en-US')} bytes (${(bytes / configMapDataLimitBytes).toFixed(2)} MiB; ${input.file} is the bundle), over Kubernetes' limit of 1 MiB (${configMapDataLimitBytes.toLocaleString('en-US')} bytes): nothing was written`,
    );
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: input.name, namespace: input.namespace, labels: input.labels }, data };
}
