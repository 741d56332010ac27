import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetDescriptionSchema } from '../../harness/contracts/fleet-description.ts';
import { freePort, prepareEngine, runCommand, type Engine } from './container-engine-test-support.ts';

/**
 * deploy/fleet/Dockerfile, built and run by a real container engine where one runs here:
 * the same file, with the official Node base image replaced by a stand-in built from this
 * machine's Node (no image registry is reachable here; the build's `npm ci` still fetches
 * from the npm registry, as a user's build does). Then the container is driven as APIM and
 * Spillway would drive it: health, one chat completion, the ledger over the control API
 * with the token, and a clean stop. Skipped, saying why, where no engine can run a container.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const baseTag = 'localhost/spillway-node-standin:test';
const imageTag = 'localhost/spillway-fleet:test';
const container = `spillway-fleet-test-${process.pid}`;
const token = 'image-test-token-0123456789abcdef';
const topology = { seed: 5, latencyScale: 0, resources: [{ name: 'aoai-east-1', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] }] };

let engine: Engine | null = null;
afterAll(() => {
  if (engine) runCommand(engine.command, ['rm', '--force', container]);
});

async function registryUnreachable(): Promise<string | null> {
  try {
    const response = await fetch('https://registry.npmjs.org/-/ping', { signal: AbortSignal.timeout(10_000) });
    return response.ok ? null : `the npm registry answered ${response.status}`;
  } catch (error) {
    return `the npm registry does not answer (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`;
  }
}


/** Polls until the control API answers with the token (the container prints its line before this). */
async function waitForHealth(base: string, running: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const status = await fetch(`${base}/health`, { headers: { authorization: `Bearer ${token}` } }).then(
      (response) => response.status,
      () => null,
    );
    if (status === 200) return;
    if (!running()) throw new Error('the container stopped before its control API answered');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the container did not answer /health within a minute');
}

describe('the fleet image (deploy/fleet/Dockerfile)', () => {
  it('builds, serves a chat completion at /backends/<name>, pages its ledger over the control API with the token, and stops cleanly', { timeout: 900_000 }, async (context) => {
    const search = prepareEngine(baseTag);
    if (search.engine === null) {
      const reason = `no container engine can run a container here: ${search.tried.join('; ')}`;
      process.stderr.write(`skipped: ${reason}\n`);
      context.skip(reason); // reason: no container engine runs here (named in `reason`, printed above)
      return;
    }
    const unreachable = await registryUnreachable();
    if (unreachable) {
      const reason = `the image's npm ci needs the npm registry: ${unreachable}`;
      process.stderr.write(`skipped: ${reason}\n`);
      context.skip(reason); // reason: the image build needs the npm registry, which does not answer (printed above)
      return;
    }
    engine = search.engine;
    const { command, hostFlags } = engine;

    const ignoreFile = command === 'podman' ? ['--ignorefile', 'deploy/fleet/Dockerfile.dockerignore'] : [];
    const build = runCommand(command, ['build', ...hostFlags, '--network', 'host', ...ignoreFile, '--build-arg', `NODE_IMAGE=${baseTag}`, '-f', 'deploy/fleet/Dockerfile', '-t', imageTag, root], 840_000);
    expect(build.ok, build.output.split('\n').slice(-20).join('\n')).toBe(true);

    const port = await freePort();
    const started = runCommand(command, ['run', '--detach', '--name', container, ...hostFlags, '--env', `SPILLWAY_CONTROL_TOKEN=${token}`, '--env', `SPILLWAY_FLEET_TOPOLOGY_JSON=${JSON.stringify(topology)}`, '--publish', `127.0.0.1:${port}:8080`, imageTag]);
    expect(started.ok, started.output).toBe(true);
    const base = `http://127.0.0.1:${port}`;
    const running = (): boolean => runCommand(command, ['inspect', '--format', '{{.State.Running}}', container]).output === 'true';
    await waitForHealth(base, running);

    expect((await fetch(`${base}/health`)).status).toBe(401);
    const described = fleetDescriptionSchema.parse(await (await fetch(`${base}/fleet`, { headers: { authorization: `Bearer ${token}` } })).json());
    expect(described.backends.map((b) => [b.name, b.endpoint])).toEqual([['aoai-east-1', `${base}/backends/aoai-east-1`]]);

    const chat = await fetch(`${described.backends[0]!.endpoint}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'apim-key', 'x-correlation-id': 'image-1' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    expect(chat.status).toBe(200);
    expect(chat.headers.get('x-fleet-backend')).toBe('aoai-east-1');
    await chat.arrayBuffer();

    const page = (await (await fetch(`${base}/ledger?after=0&limit=10`, { headers: { authorization: `Bearer ${token}` } })).json()) as { records: { correlationId: string; backend: string; status: number }[]; last: number };
    expect(page.records.map((r) => [r.correlationId, r.backend, r.status])).toEqual([['image-1', 'aoai-east-1', 200]]);
    expect(page.last).toBe(1);

    const stopped = runCommand(command, ['stop', '--time', '20', container]);
    expect(stopped.ok, stopped.output).toBe(true);
    expect(runCommand(command, ['inspect', '--format', '{{.State.ExitCode}}', container]).output).toBe('0');
    const logs = runCommand(command, ['logs', container]).output;
    expect(logs).not.toContain(token);
  });
});
