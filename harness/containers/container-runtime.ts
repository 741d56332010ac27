import { UserFacingError } from '../contracts/user-facing-error.ts';
import { resolveTool } from '../tools/resolve-tool.ts';
import { k6Spec, toxiproxySpec, type ToolSpec } from '../tools/tool-specs.ts';
import { requireContainerEngine, useContainerEngine, type ContainerEngine } from './container-engine.ts';
import { ensureToolImage, staticBinaryFor } from './local-images.ts';

/**
 * Where the load generator and Toxiproxy run: as processes (the default: harness/run/k6-runner.ts,
 * harness/network/toxiproxy-server.ts) or in containers through testcontainers (k6-container.ts,
 * toxiproxy-container.ts). Both sides give the same K6Run and ToxiproxyServer, so a run picks
 * one with `--runtime` and nothing downstream changes.
 *
 * `prepareContainerRuntime` does everything that can fail before a run starts: it finds the
 * engine (or refuses, naming the flag), then makes sure both images exist (building a static
 * binary and the image when needed). Nothing is started.
 */

export const runtimes = ['process', 'container'] as const;
export type Runtime = (typeof runtimes)[number];

/** `value` as a Runtime, or a UserFacingError naming the flag. */
export function parseRuntime(value: string, flag = '--runtime'): Runtime {
  if ((runtimes as readonly string[]).includes(value)) return value as Runtime;
  throw new UserFacingError(`${flag} must be one of ${runtimes.join(', ')}, not "${value}"`);
}

export interface PreparedContainerRuntime {
  readonly engine: ContainerEngine;
  /** Image names by tool id, present locally. */
  readonly images: { readonly k6: string; readonly toxiproxy: string };
}

export interface PrepareOptions {
  /** The flag the user gave, for the refusal: `--runtime container`. */
  readonly flag: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
  /** Which images are needed; both by default. */
  readonly tools?: readonly ToolSpec[];
}

export async function prepareContainerRuntime(options: PrepareOptions): Promise<PreparedContainerRuntime> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const engine = await requireContainerEngine(options.flag, env);
  useContainerEngine(engine);
  log(`container engine: ${engine.description} at ${engine.dockerHost}`);
  const images: Record<string, string> = {};
  for (const spec of options.tools ?? [k6Spec, toxiproxySpec]) {
    const resolved = await resolveTool(spec, { install: false, env, log });
    const binary = await staticBinaryFor(spec, resolved.path, { env, log });
    images[spec.id] = await ensureToolImage(spec, binary, log);
  }
  return { engine, images: { k6: images.k6 ?? '', toxiproxy: images.toxiproxy ?? '' } };
}
