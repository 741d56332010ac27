import { spawnSync } from 'node:child_process';
import { findContainerEngine, startPodmanService } from './container-engine.ts';

/**
 * For .ci/run: `node bin/run-ts.js harness/containers/ensure-engine.ts` prints
 * `DOCKER_HOST=<url>` for an engine that answers (one already running, else Spillway's own
 * Podman service, started here and left running for the tests), or `none: <why>`. Always
 * exits 0: CI goes on without an engine and the container tests skip, saying why.
 */

const search = await findContainerEngine();
if (search.engine) {
  process.stdout.write(`DOCKER_HOST=${search.engine.dockerHost}\n`);
  process.stderr.write(`ci: container engine: ${search.engine.description} at ${search.engine.dockerHost}\n`);
} else {
  const reasons = [...search.tried];
  const podman = spawnSync('podman', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (podman.error || podman.status !== 0) reasons.push(`podman: ${podman.error ? 'not installed' : podman.stderr.trim()}`);
  else {
    const started = await startPodmanService();
    if (typeof started !== 'string') {
      process.stdout.write(`DOCKER_HOST=${started.dockerHost}\n`);
      process.stderr.write(`ci: container engine: ${started.description} at ${started.dockerHost} (Spillway's Podman service, started now)\n`);
      process.exit(0);
    }
    reasons.push(`podman system service: ${started}`);
  }
  process.stdout.write(`none: ${reasons.join('; ')}\n`);
}
