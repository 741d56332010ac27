import { spawnSync } from 'node:child_process';
import { findContainerEngine, startPodmanService, type ContainerEngine } from './container-engine.ts';

/**
 * The engine for the container tests, or the precise reason there is none (printed, and the
 * tests skip with it): an engine that answers (DOCKER_HOST, Docker's or Podman's socket), else
 * Spillway's own Podman service started here when podman is installed.
 */
export async function engineForTests(): Promise<{ engine: ContainerEngine; skip: null } | { engine: null; skip: string }> {
  const search = await findContainerEngine();
  if (search.engine) return { engine: search.engine, skip: null };
  const tried = [...search.tried];
  const podman = spawnSync('podman', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (podman.error || podman.status !== 0) tried.push(`podman: ${podman.error ? 'not installed' : podman.stderr.trim()}`);
  else {
    const started = await startPodmanService();
    if (typeof started !== 'string') return { engine: started, skip: null };
    tried.push(`podman system service: ${started}`);
  }
  const skip = `no container engine answers here: ${tried.join('; ')}`;
  process.stderr.write(`SKIPPED: ${skip}\n`);
  return { engine: null, skip };
}
