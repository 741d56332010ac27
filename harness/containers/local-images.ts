import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { readGoBuildInfo } from '../tools/go-build-info.ts';
import { goBuilder, type ToolBuilder } from '../tools/go-builder.ts';
import { cachedToolDir } from '../tools/resolve-tool.ts';
import type { ToolSpec } from '../tools/tool-specs.ts';
import { readToolVersion } from '../tools/tool-version.ts';
import { containerRuntimeClient, loadTestcontainers } from './testcontainers-module.ts';

/**
 * The k6 and Toxiproxy images, built locally from the pinned binaries (no image registry is
 * reachable where Spillway must run), under the names and tags users pull, so that a machine
 * that can pull gets the same thing by the same name:
 *
 *   grafana/k6:2.2.0                   ENTRYPOINT ["k6"], as upstream
 *   ghcr.io/shopify/toxiproxy:2.12.0   ENTRYPOINT ["/toxiproxy"], CMD ["-host=0.0.0.0"], as upstream
 *
 * Each is `FROM scratch` plus one static binary (and the host's CA bundle for k6's https
 * targets, where the host has one; loopback plain http needs none). A scratch image has no
 * dynamic loader or libc, so the binary must be static: Go builds static binaries with
 * CGO_ENABLED=0, which is how upstream releases k6 and Toxiproxy. `spillway tools install`
 * builds that way too (harness/tools/go-builder.ts); a binary built before it did (CGO_ENABLED=1
 * where a C compiler is present, which links libc dynamically) gets a static sibling built here, in
 * `<cache>/tools/<tool>-v<version>-static/`, from the same pinned module.
 *
 * An image is built only when missing, or when it was built from a different binary (the
 * image carries the binary's sha256 as a label).
 */

export const binaryDigestLabel = 'io.spillway.binary-sha256';

export function imageNameFor(spec: ToolSpec): string {
  return spec.id === 'k6' ? `grafana/k6:${spec.version}` : `ghcr.io/shopify/toxiproxy:${spec.version}`;
}

/** Where the binary sits inside the image (upstream's paths). */
export function binaryPathInImage(spec: ToolSpec): string {
  return spec.id === 'k6' ? '/usr/bin/k6' : '/toxiproxy';
}

/** ELF: whether the file asks for a program interpreter (PT_INTERP), i.e. is dynamically linked. */
export async function isStaticExecutable(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new UserFacingError(`${file} is not an ELF executable; container images need a Linux binary`);
    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (b: Buffer, at: number): number => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const u32 = (b: Buffer, at: number): number => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const phoff = is64 ? Number(little ? header.readBigUInt64LE(32) : header.readBigUInt64BE(32)) : u32(header, 28);
    const phentsize = u16(header, is64 ? 54 : 42);
    const phnum = u16(header, is64 ? 56 : 44);
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let index = 0; index < phnum; index++) if (u32(table, index * phentsize) === PT_INTERP) return false;
    return true;
  } finally {
    await handle.close();
  }
}

/** `CGO_ENABLED=<n>` as recorded in the Go build info, or undefined. */
export async function recordedCgo(file: string): Promise<string | undefined> {
  const info = await readGoBuildInfo(file);
  return info ? /^build\tCGO_ENABLED=(\d)$/m.exec(info.modInfo)?.[1] : undefined;
}

export interface StaticBinaryOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  builder?: ToolBuilder;
}

/**
 * A static binary of the pinned tool for a scratch image: `resolved` itself when it is static,
 * else a CGO_ENABLED=0 build of the same pinned module in the cache (built once).
 */
export async function staticBinaryFor(spec: ToolSpec, resolved: string, options: StaticBinaryOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  if (await isStaticExecutable(resolved)) return resolved;
  const destination = join(`${cachedToolDir(spec, env)}-static`, spec.binaryName);
  if (existsSync(destination) && (await isStaticExecutable(destination)) && (await readToolVersion(spec, destination, { env })).version === spec.version) return destination;
  const builder = options.builder ?? goBuilder;
  const go = await builder.findGo(env);
  if (!go) {
    throw new UserFacingError(
      `${resolved} is dynamically linked (built with CGO_ENABLED=1), and a FROM scratch image needs a static ${spec.id}; Go is not on PATH to build one. Install Go, or point ${spec.envVar} at a static ${spec.id} v${spec.version} (CGO_ENABLED=0).`,
    );
  }
  log(`${resolved} is dynamically linked; building a static ${spec.id} v${spec.version} (CGO_ENABLED=0) for its container image`);
  await builder.build({ spec, destination, go, env: { ...env, CGO_ENABLED: '0' }, log });
  if (!(await isStaticExecutable(destination))) throw new UserFacingError(`the ${spec.id} built at ${destination} with CGO_ENABLED=0 is still dynamically linked`);
  return destination;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The Dockerfile of a tool's image; `withCaBundle` adds /etc/ssl/certs/ca-certificates.crt. */
export function dockerfileFor(spec: ToolSpec, digest: string, withCaBundle: boolean): string {
  const lines = ['FROM scratch', `LABEL ${binaryDigestLabel}="${digest}" org.opencontainers.image.version="${spec.version}" io.spillway.built-locally="true"`];
  if (spec.id === 'k6') {
    // Upstream's layout: k6 on PATH, a k6 user (12345), /home/k6 as the working folder.
    lines.push('COPY binary /usr/bin/k6');
    if (withCaBundle) lines.push('COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt');
    lines.push('ENV PATH=/usr/bin HOME=/home/k6', 'WORKDIR /home/k6', 'USER 12345', 'ENTRYPOINT ["/usr/bin/k6"]');
  } else {
    lines.push('COPY binary /toxiproxy', 'EXPOSE 8474', 'ENTRYPOINT ["/toxiproxy"]', 'CMD ["-host=0.0.0.0"]');
  }
  return `${lines.join('\n')}\n`;
}

const hostCaBundle = '/etc/ssl/certs/ca-certificates.crt';

/**
 * Builds `imageNameFor(spec)` from `staticBinary` through the engine's build API unless an
 * image of that name built from the same binary is already there. Returns the image name.
 * Needs testcontainers pointed at an engine first (container-engine.ts useContainerEngine).
 */
export async function ensureToolImage(spec: ToolSpec, staticBinary: string, log: (line: string) => void = () => {}): Promise<string> {
  const name = imageNameFor(spec);
  const digest = await sha256(staticBinary);
  const client = await containerRuntimeClient();
  const existing = await client.container.dockerode
    .getImage(name)
    .inspect()
    .catch(() => null);
  if (existing?.Config?.Labels?.[binaryDigestLabel] === digest) return name;
  log(existing ? `rebuilding ${name}: it was built from another ${spec.id} binary` : `building ${name} from ${staticBinary} (FROM scratch)`);
  const context = await mkdtemp(join(tmpdir(), `spillway-${spec.id}-image-`));
  try {
    await copyFile(staticBinary, join(context, 'binary'));
    const withCaBundle = spec.id === 'k6' && existsSync(hostCaBundle);
    if (withCaBundle) await copyFile(hostCaBundle, join(context, 'ca-certificates.crt'));
    await writeFile(join(context, 'Dockerfile'), dockerfileFor(spec, digest, withCaBundle));
    // deleteOnExit false: the image is a cache kept across runs, not a test's throwaway.
    const { GenericContainer } = await loadTestcontainers();
    await GenericContainer.fromDockerfile(context, 'Dockerfile').build(name, { deleteOnExit: false });
  } catch (error) {
    throw new UserFacingError(`could not build the ${name} image from ${staticBinary}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  return name;
}
