import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportOutputs } from '../../reports/render-outputs.ts';
import { ciExampleProblems, cliProblem, parseCi, spillwayInvocations, type CiSystem, type ExampleFacts } from './ci-example-check.ts';

/**
 * The CI examples (docs/ci.md) are kept working: their YAML parses, every `spillway` command
 * line in them parses as the CLI parses it (commands, flags, values; nothing is run), every file
 * they publish is one a run writes, the path filters take every change to the folder the gate's
 * --config reads and nothing outside it, and the publishing steps run after a failed gate. Each
 * check is also shown failing on a copy of the example broken in the way it checks for.
 */
const repo = join(import.meta.dirname, '..', '..');
const examples: { file: string; system: CiSystem }[] = [
  { file: 'examples/ci/github-actions.yml', system: 'github' },
  { file: 'examples/ci/azure-pipelines.yml', system: 'azure' },
];

/** The repository's files, without the folders no change to the gateway lives in. */
function repositoryFiles(): string[] {
  const skip = new Set(['node_modules', '.git', 'results', 'dist', '.scratch']);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(repo, path).split(sep).join('/'));
    }
  };
  walk(repo);
  return files;
}

const facts: ExampleFacts = {
  // journal.json, and every report a run renders (junit.xml among them), by the reports' own map.
  runFiles: new Set(['journal.json', ...Object.values(reportOutputs).map((output) => output.file)]),
  repositoryFiles: repositoryFiles(),
  isFolder: (path) => statSync(join(repo, path), { throwIfNoEntry: false })?.isDirectory() === true,
};

const textOf = (file: string): string => readFileSync(join(repo, file), 'utf8');

describe.each(examples)('$file', ({ file, system }) => {
  it('parses, provisions Spillway, runs the gate on changes to the APIOps folder and publishes what the run writes', async () => {
    expect(await ciExampleProblems(textOf(file), file, system, facts)).toEqual([]);
  });

  it('runs the commands the checks read: the tools, the gate with --config', () => {
    const invocations = spillwayInvocations(parseCi(textOf(file), file, system).steps).map((i) => i.args.join(' '));
    expect(invocations).toEqual(expect.arrayContaining(['tools install', 'run smoke --config deploy/apim --results results']));
  });

  /** The example with `from` replaced by `to` (which must occur), and its problems. */
  const broken = async (from: string | RegExp, to: string): Promise<string[]> => {
    const text = textOf(file);
    const changed = text.replace(from, to);
    expect(changed, `the example holds ${String(from)}`).not.toBe(text);
    return ciExampleProblems(changed, file, system, facts);
  };

  it('fails on a step that names a flag the command does not take', async () => {
    expect(await broken('--config deploy/apim', '--config deploy/apim --no-such-flag')).toEqual([expect.stringMatching(/`spillway run smoke --config deploy\/apim --no-such-flag --results results`: spillway: unknown option '--no-such-flag'/)]);
  });

  it('fails on a command that does not exist, and on a value the flag refuses', async () => {
    expect(await broken('tools install', 'tools fetch')).toEqual(expect.arrayContaining([expect.stringMatching(/`spillway tools fetch`: .*unknown command 'fetch'/)]));
    expect(await broken('--results results', '--results results --units 0')).toEqual([expect.stringMatching(/`spillway run smoke --config deploy\/apim --results results --units 0`: spillway: option '--units <n>' argument '0' is invalid\. --units "0" must be at least 1\.$/)]);
  });

  it('fails on a published file a run does not write, or one outside the run folders', async () => {
    expect(await broken(/report\.html/, 'report.pdf')).toEqual(expect.arrayContaining([expect.stringMatching(/report\.pdf: a run writes no report\.pdf/), expect.stringMatching(/nothing publishes report\.html/)]));
    expect(await broken(/results\/\*\/junit\.xml/, 'junit.xml')).toEqual(expect.arrayContaining([expect.stringMatching(/junit\.xml is not a file of a run folder/)]));
  });

  it('fails when the path filters do not name the folder --config reads, or take everything', async () => {
    const elsewhere = await broken(/deploy\/apim(\/\*\*)?(?=['\]])/g, 'apim/**');
    expect(elsewhere.length).toBeGreaterThan(0);
    expect(elsewhere.every((p) => /miss changes to deploy\/apim/.test(p))).toBe(true);
    expect(await broken(/deploy\/apim(\/\*\*)?(?=['\]])/g, system === 'github' ? '**' : "'*'")).toEqual(expect.arrayContaining([expect.stringMatching(/also take \S+, outside deploy\/apim/)]));
  });

  it('fails when a publishing step does not run after a failed gate', async () => {
    const problems = await broken(system === 'github' ? /if: \$\{\{ !cancelled\(\) \}\}\n(\s+)uses: actions\/upload-artifact/ : /condition: succeededOrFailed\(\)\n(\s+)inputs:\n(\s+)SourceFolder/, system === 'github' ? 'uses: actions/upload-artifact' : 'inputs:\n$2SourceFolder');
    expect(problems).toEqual([expect.stringMatching(/does not run after a failed gate/)]);
  });

  it('fails on YAML that does not parse, naming the file', async () => {
    expect(await broken(/\n/, '\n  - [unclosed\n')).toEqual([expect.stringMatching(new RegExp(`^${file}: `))]);
  });
});

describe('reading a spillway command line as the CLI does', () => {
  it('accepts what the CLI accepts and names what it refuses', async () => {
    expect(await cliProblem(['run', 'smoke', '--config', 'deploy/apim', '--quiet', '--json'])).toBeNull();
    expect(await cliProblem(['report', 'results/x', '--format', 'html,md'])).toBeNull();
    expect(await cliProblem(['run'])).toMatch(/missing required argument 'scenario'/);
    expect(await cliProblem(['run', 'smoke', '--help'])).toMatch(/not a command that runs/);
  });
});
