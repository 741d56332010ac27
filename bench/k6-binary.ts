import { resolveTool } from '../harness/tools/resolve-tool.ts';
import { k6Spec } from '../harness/tools/tool-specs.ts';

/** The pinned k6 for benchmarks, built into the cache if needed (as `spillway tools install` does). */
export async function resolveK6(): Promise<string> {
  const tool = await resolveTool(k6Spec, { install: true, log: (line: string) => process.stderr.write(`${line}\n`) });
  return tool.path;
}
