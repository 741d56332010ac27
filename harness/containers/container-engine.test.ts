import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { k6Spec, toxiproxySpec } from '../tools/tool-specs.ts';
import { ownerIsGone } from './container-cleanup.ts';
import { candidateDockerHosts, findContainerEngine, podmanServiceConfig, requireContainerEngine } from './container-engine.ts';
import { parseRuntime } from './container-runtime.ts';
import { dockerfileFor, imageNameFor, isStaticExecutable } from './local-images.ts';

/**
 * The container runtime's parts that need no engine: finding (or not finding) one through a
 * fake Engine API on a unix socket, the refusal that names the flag, the static-binary check
 * on hand-made ELF headers, the images' names and Dockerfiles, the orphan rule.
 */

const folders: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'spillway-engine-test-'));
  folders.push(folder);
  return folder;
}

/** An HTTP server on a unix socket answering `routes` (path → status and body), 404 otherwise. */
async function fakeEngine(routes: Record<string, { status: number; body: string }>): Promise<string> {
  const socket = join(tempFolder(), 'engine.sock');
  const server = createServer((request, response) => {
    const route = routes[request.url ?? ''];
    response.writeHead(route?.status ?? 404).end(route?.body ?? 'not found');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return `unix://${socket}`;
}

describe('finding a container engine', () => {
  it('refuses --runtime container without an engine, naming the flag and the socket tried', async () => {
    const missing = `unix://${join(tempFolder(), 'no-engine.sock')}`;
    const refusal = requireContainerEngine('--runtime container', { DOCKER_HOST: missing });
    await expect(refusal).rejects.toBeInstanceOf(UserFacingError);
    await expect(refusal).rejects.toThrow(/^--runtime container needs a container engine/);
    await expect(refusal).rejects.toThrow(`${missing} (DOCKER_HOST): no such socket`);
  });

  it('passes over a socket that answers but is not an engine, saying what it answered', async () => {
    const notAnEngine = await fakeEngine({});
    const search = await findContainerEngine({ DOCKER_HOST: notAnEngine });
    expect(search.engine).toBeNull();
    expect(search.tried).toEqual([`${notAnEngine} (DOCKER_HOST): /_ping answered 404`]);
  });

  it("finds Podman's Docker-compatible service and says it is Podman", async () => {
    const podman = await fakeEngine({
      '/_ping': { status: 200, body: 'OK' },
      '/version': { status: 200, body: JSON.stringify({ Version: '4.3.1', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] }) },
    });
    const search = await findContainerEngine({ DOCKER_HOST: podman });
    expect(search.engine).toEqual({ dockerHost: podman, description: 'Podman Engine 4.3.1', isPodman: true });
  });

  it('finds Docker and says it is not Podman', async () => {
    const docker = await fakeEngine({
      '/_ping': { status: 200, body: 'OK' },
      '/version': { status: 200, body: JSON.stringify({ Version: '28.2.2', Components: [{ Name: 'Engine', Version: '28.2.2' }] }) },
    });
    expect((await findContainerEngine({ DOCKER_HOST: docker })).engine).toEqual({ dockerHost: docker, description: 'Engine 28.2.2', isPodman: false });
  });

  it("tries Docker's socket before Podman's, and Spillway's own Podman service last, when DOCKER_HOST is unset", () => {
    const hosts = candidateDockerHosts({ XDG_RUNTIME_DIR: '/run/user/1000', SPILLWAY_CACHE_DIR: '/c' });
    expect(hosts).toEqual(['unix:///var/run/docker.sock', 'unix:///run/user/1000/docker.sock', 'unix:///run/podman/podman.sock', 'unix:///run/user/1000/podman/podman.sock', 'unix:///c/podman/podman.sock']);
  });

  it("configures Spillway's Podman service with runc and limits no higher than this process's", () => {
    const config = podmanServiceConfig({ openFiles: 20000, processes: 96367 });
    expect(config).toContain('runtime = "runc"');
    expect(config).toContain('default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]');
  });
});

describe('--runtime', () => {
  it('takes process or container and refuses anything else naming the flag', () => {
    expect(parseRuntime('container')).toBe('container');
    expect(parseRuntime('process')).toBe('process');
    expect(() => parseRuntime('docker')).toThrow('--runtime must be one of process, container, not "docker"');
  });
});

/** A 64-bit little-endian ELF header with one program header of type `segmentType`. */
function elfWithSegment(segmentType: number): Buffer {
  const file = Buffer.alloc(64 + 56);
  file.writeUInt32BE(0x7f454c46, 0);
  file[4] = 2; // 64-bit
  file[5] = 1; // little-endian
  file.writeBigUInt64LE(64n, 32); // e_phoff
  file.writeUInt16LE(56, 54); // e_phentsize
  file.writeUInt16LE(1, 56); // e_phnum
  file.writeUInt32LE(segmentType, 64);
  return file;
}

describe('the images', () => {
  it('tells a static executable (no PT_INTERP) from a dynamically linked one', async () => {
    const folder = tempFolder();
    writeFileSync(join(folder, 'static'), elfWithSegment(1)); // PT_LOAD only
    writeFileSync(join(folder, 'dynamic'), elfWithSegment(3)); // PT_INTERP
    writeFileSync(join(folder, 'script'), '#!/bin/sh\n');
    expect(await isStaticExecutable(join(folder, 'static'))).toBe(true);
    expect(await isStaticExecutable(join(folder, 'dynamic'))).toBe(false);
    await expect(isStaticExecutable(join(folder, 'script'))).rejects.toThrow('is not an ELF executable');
  });

  it('carry the names and tags users pull, FROM scratch with upstream entry points', () => {
    expect(imageNameFor(k6Spec)).toBe('grafana/k6:2.2.0');
    expect(imageNameFor(toxiproxySpec)).toBe('ghcr.io/shopify/toxiproxy:2.12.0');
    const k6 = dockerfileFor(k6Spec, 'abc', true);
    expect(k6.split('\n')[0]).toBe('FROM scratch');
    expect(k6).toContain('ENTRYPOINT ["/usr/bin/k6"]');
    expect(k6).toContain('COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt');
    expect(dockerfileFor(k6Spec, 'abc', false)).not.toContain('ca-certificates');
    const toxiproxy = dockerfileFor(toxiproxySpec, 'abc', false);
    expect(toxiproxy.split('\n')[0]).toBe('FROM scratch');
    expect(toxiproxy).toContain('ENTRYPOINT ["/toxiproxy"]');
    expect(toxiproxy).toContain('CMD ["-host=0.0.0.0"]');
    expect(toxiproxy).toContain('io.spillway.binary-sha256="abc"');
  });
});

describe('orphaned containers', () => {
  it("are those whose owner was a process of this host that is gone; another host's are left alone", () => {
    const alive = (pid: number): boolean => pid === 10;
    expect(ownerIsGone('box:11', 'box', alive)).toBe(true);
    expect(ownerIsGone('box:10', 'box', alive)).toBe(false);
    expect(ownerIsGone('other:11', 'box', alive)).toBe(false);
    expect(ownerIsGone('garbage', 'box', alive)).toBe(false);
  });
});
