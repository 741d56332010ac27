import type { ContainerRuntimeClient } from 'testcontainers';

/**
 * testcontainers, loaded on first use. With dockerode, ssh2, gRPC and archiver beneath it, it
 * takes over half a second to import, and only `--runtime container` (and `doctor`'s engine
 * check) needs it: a static import made every `spillway` command pay that at start-up, the
 * smoke gate's included. Node caches the module, so later calls cost nothing.
 * harness/cli/startup-imports.test.ts checks that a command starting no container does not
 * load it.
 */
export function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  return import('testcontainers');
}

/** testcontainers' client of the container engine (its dockerode, its build and start API). */
export async function containerRuntimeClient(): Promise<ContainerRuntimeClient> {
  return (await loadTestcontainers()).getContainerRuntimeClient();
}
