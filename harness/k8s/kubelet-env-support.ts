import type { RunnerEnvVar } from './runner-plan.ts';

/**
 * For tests: what the kubelet does to a container's env (Kubernetes' dependent environment
 * variables): `$(VAR)` becomes the value of a variable defined earlier in the list, `$$` becomes
 * `$`, and a reference to anything undefined stays as written. A Secret-backed variable takes its
 * value from `secrets` (a missing entry keeps the pod from starting); a fieldRef takes `pod`.
 */
export function kubeletEnv(env: readonly RunnerEnvVar[], secrets: Record<string, string>, pod = 'runner-pod-1'): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const variable of env) {
    if ('value' in variable) {
      resolved[variable.name] = variable.value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => (match === '$$' ? '$' : name !== undefined && name in resolved ? resolved[name]! : match));
    } else if ('secretKeyRef' in variable.valueFrom) {
      const value = secrets[variable.valueFrom.secretKeyRef.key];
      if (value === undefined) throw new Error(`Secret entry ${variable.valueFrom.secretKeyRef.key} is missing: the runner pod would not start`);
      resolved[variable.name] = value;
    } else {
      resolved[variable.name] = pod;
    }
  }
  return resolved;
}
