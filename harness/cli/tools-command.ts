import type { Command } from 'commander';
import { goBuilder } from '../tools/go-builder.ts';
import type { ToolBuilder } from '../tools/go-builder.ts';
import { resolveTool } from '../tools/resolve-tool.ts';
import { findToolSpec, toolSpecs } from '../tools/tool-specs.ts';
import type { ToolSpec } from '../tools/tool-specs.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * `spillway tools install` gets the pinned k6 and Toxiproxy (building them with Go into the
 * per-user cache when needed), which is what CI runs before anything else; `spillway tools
 * path` prints where one is, for scripts, and never installs.
 */

export interface ToolsCommandDependencies {
  readonly env: NodeJS.ProcessEnv;
  readonly builder: ToolBuilder;
  /** Results: one line per tool, for scripts. */
  readonly out: (text: string) => void;
  /** Progress and Go's output, kept off stdout so results stay parseable. */
  readonly err: (text: string) => void;
}

const defaultDependencies = (): ToolsCommandDependencies => ({
  env: process.env,
  builder: goBuilder,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});

const knownNames = toolSpecs.map((spec) => spec.id).join(', ');

function specsFor(names: readonly string[]): ToolSpec[] {
  const unique = [...new Set(names)];
  return unique.map((name) => {
    const spec = findToolSpec(name);
    if (!spec) throw new UserFacingError(`unknown tool "${name}"; Spillway manages ${knownNames}`);
    return spec;
  });
}

export function registerToolsCommand(program: Command, overrides: Partial<ToolsCommandDependencies> = {}): void {
  const dependencies = (): ToolsCommandDependencies => ({ ...defaultDependencies(), ...overrides });
  const tools = program.command('tools').description(`the pinned external tools (${knownNames})`);

  tools
    .command('install')
    .description('find or build the pinned tools into the per-user cache and print where each is')
    .argument('[tools...]', `which tools (${knownNames}; default: all)`)
    .action(async (names: string[]) => {
      const { env, builder, out, err } = dependencies();
      // Sequential: two Go builds at once only compete for the same cores.
      for (const spec of specsFor(names.length ? names : toolSpecs.map((s) => s.id))) {
        err(`${spec.id}: looking for v${spec.version}\n`);
        const tool = await resolveTool(spec, { install: true, env, builder, log: (line) => err(`${spec.id}: ${line}\n`) });
        out(`${tool.name} ${tool.version} ${tool.source} ${tool.path}\n`);
      }
    });

  tools
    .command('path')
    .description('print the path of a pinned tool (never installs; exit 1 when it is missing)')
    .argument('<tool>', knownNames)
    .action(async (name: string) => {
      const { env, builder, out, err } = dependencies();
      const [spec] = specsFor([name]);
      if (!spec) return;
      try {
        const tool = await resolveTool(spec, { install: false, env, builder });
        out(`${tool.path}\n`);
      } catch (error) {
        if (!(error instanceof UserFacingError)) throw error;
        // Missing is an answer, not a usage error: exit 1 as promised, not main's 2.
        err(`spillway: ${error.message}\n`);
        process.exitCode = 1;
      }
    });
}
