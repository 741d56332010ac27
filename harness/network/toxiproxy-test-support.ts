import { resolveTool } from '../tools/resolve-tool.ts';
import { toxiproxySpec } from '../tools/tool-specs.ts';

/**
 * The pinned toxiproxy-server for tests, or why there is none: tests that need it skip with that
 * reason printed, never silently (`spillway tools install toxiproxy` provisions it).
 */
export async function toxiproxyForTests(): Promise<{ binary: string; skip: null } | { binary: null; skip: string }> {
  try {
    return { binary: (await resolveTool(toxiproxySpec, { install: false })).path, skip: null };
  } catch (error) {
    const skip = `toxiproxy-server ${toxiproxySpec.version} is not provisioned (spillway tools install toxiproxy): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    console.warn(`SKIPPED: ${skip}`);
    return { binary: null, skip };
  }
}
