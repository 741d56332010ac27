import { Command, CommanderError } from 'commander';
import { parseDocument } from 'yaml';
import { buildProgram } from '../../harness/cli/cli.ts';

/**
 * What examples/ci/ci-examples.test.ts checks in a CI example, as functions of its text, so the
 * test can also show each check failing on a copy broken in the way it checks for. A CI file is
 * read as data (the YAML parsed, its steps found by the CI system's own layout); nothing in it
 * is run.
 */
export type CiSystem = 'github' | 'azure';

/** One step of a pipeline, as much of it as the checks read. */
export interface CiStep {
  /** Its name (GitHub `name`, Azure `displayName`), or what it runs or uses. */
  label: string;
  /** Shell script (GitHub `run`, Azure `script` or `bash`). */
  script?: string;
  /** The action or task it uses (GitHub `uses`, Azure `task`). */
  uses?: string;
  /** Its inputs (GitHub `with`, Azure `inputs`), as strings. */
  inputs: Record<string, string>;
  /** When it runs (GitHub `if`, Azure `condition`); absent: only after success. */
  condition?: string;
  continueOnError: boolean;
}

export interface ParsedCi {
  doc: Record<string, unknown>;
  steps: CiStep[];
}

/** Parses the YAML and finds its steps; throws naming the file and line for YAML that does not parse. */
export function parseCi(text: string, file: string, system: CiSystem): ParsedCi {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
  const doc = document.toJS() as Record<string, unknown>;
  if (doc === null || typeof doc !== 'object') throw new Error(`${file}: not a YAML mapping`);
  return { doc, steps: system === 'github' ? githubSteps(doc) : azureSteps(doc) };
}

const asRecord = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const stringsOf = (value: unknown): Record<string, string> => Object.fromEntries(Object.entries(asRecord(value)).map(([k, v]) => [k, String(v)]));

function githubSteps(doc: Record<string, unknown>): CiStep[] {
  return Object.values(asRecord(doc.jobs)).flatMap((job) =>
    asList(asRecord(job).steps).map((raw) => {
      const step = asRecord(raw);
      return {
        label: String(step.name ?? step.uses ?? step.run ?? 'a step'),
        ...(typeof step.run === 'string' ? { script: step.run } : {}),
        ...(typeof step.uses === 'string' ? { uses: step.uses } : {}),
        inputs: stringsOf(step.with),
        ...(step.if !== undefined ? { condition: String(step.if) } : {}),
        continueOnError: step['continue-on-error'] === true,
      };
    }),
  );
}

function azureSteps(doc: Record<string, unknown>): CiStep[] {
  // Steps at the top, or in jobs, or in stages' jobs: the three layouts Azure Pipelines takes.
  const jobs = [doc, ...asList(doc.jobs), ...asList(doc.stages).flatMap((stage) => asList(asRecord(stage).jobs))];
  return jobs.flatMap((job) =>
    asList(asRecord(job).steps).map((raw) => {
      const step = asRecord(raw);
      const script = step.script ?? step.bash;
      return {
        label: String(step.displayName ?? step.task ?? script ?? 'a step'),
        ...(typeof script === 'string' ? { script } : {}),
        ...(typeof step.task === 'string' ? { uses: step.task } : {}),
        inputs: stringsOf(step.inputs),
        ...(step.condition !== undefined ? { condition: String(step.condition) } : {}),
        continueOnError: step.continueOnError === true,
      };
    }),
  );
}

/** A `spillway` command line found in a step's script, as the words after `spillway`. */
export interface SpillwayInvocation {
  step: string;
  args: string[];
}

/**
 * Every `npx spillway …` or `node bin/spillway.js …` in the steps' scripts: continued lines
 * joined, the words split as a shell splits them (quotes kept together), up to the first shell
 * operator, redirection or comment.
 */
export function spillwayInvocations(steps: readonly CiStep[]): SpillwayInvocation[] {
  return steps.flatMap((step) =>
    (step.script ?? '')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .flatMap((line) => {
        const words = shellWords(line);
        const at = words.findIndex((word, i) => (word === 'spillway' && words[i - 1] === 'npx') || /(^|\/)bin\/spillway\.js$/.test(word));
        if (at < 0) return [];
        const args: string[] = [];
        for (const word of words.slice(at + 1)) {
          if (/^(&&|\|\||;|\||&|#.*|\d?>.*|<.*)$/.test(word)) break;
          args.push(word);
        }
        return [{ step: step.label, args }];
      }),
  );
}

function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

/**
 * Whether the `spillway` command line parses: the command (and subcommand) exists, every flag is
 * one it takes, every value passes the flag's own parser, required arguments are there. The
 * real program is built and parsed with every action replaced by a no-op, so nothing runs.
 * Returns commander's own message, or null when it parses.
 */
export async function cliProblem(args: readonly string[]): Promise<string | null> {
  let errors = '';
  const program = buildProgram({ writeOut: () => undefined, writeErr: (text) => void (errors += text) });
  const disarm = (command: Command): void => {
    if (command.commands.length === 0) command.action(() => undefined);
    for (const sub of command.commands) disarm(sub);
  };
  for (const command of program.commands) disarm(command);
  if (args.length === 0 || args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V')) return 'not a command that runs (no command, or --help or --version)';
  try {
    await program.parseAsync([...args], { from: 'user' });
    return null;
  } catch (error) {
    // Commander's message, without the help it shows after it.
    if (error instanceof CommanderError) return (errors.split(/\n\s*\n/)[0] ?? '').trim() || error.message;
    throw error;
  }
}

/** The value of a flag in a command line (`--flag value` or `--flag=value`), or undefined. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  for (const [i, arg] of args.entries()) {
    if (arg === flag) return args[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/**
 * A CI path filter as a regular expression. GitHub's globs: `**` any path, `*` anything but a
 * slash. Azure Pipelines' filters: a path without wildcards matches itself and everything
 * beneath it, and `*` matches anything.
 */
export function pathFilter(pattern: string, system: CiSystem): RegExp {
  const escaped = (text: string): string => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  if (system === 'azure' && !/[*?]/.test(pattern)) return new RegExp(`^${escaped(pattern.replace(/\/$/, ''))}(/.*)?$`);
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      regex += '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
      if (pattern[i] === '/') regex += '/?';
    } else if (ch === '*') regex += system === 'github' ? '[^/]*' : '.*';
    else if (ch === '?') regex += '[^/]';
    else regex += escaped(ch);
  }
  return new RegExp(`^${regex}$`);
}

/** The path filters of the triggers that start the gate, by trigger. */
export function triggerPathFilters(doc: Record<string, unknown>, system: CiSystem): Record<string, string[]> {
  if (system === 'github') {
    // `on` is the key; YAML 1.1 readers take a bare `on` for true, the yaml package does not.
    const on = asRecord(doc.on);
    return Object.fromEntries(['pull_request', 'push'].filter((t) => t in on).map((t) => [t, asList(asRecord(on[t]).paths).map(String)]));
  }
  return Object.fromEntries(['trigger', 'pr'].filter((t) => t in doc).map((t) => [t, asList(asRecord(asRecord(doc[t]).paths).include).map(String)]));
}

/**
 * The files a CI example keeps or publishes from a run, as patterns: upload-artifact's and the
 * JUnit publisher's paths (GitHub); PublishTestResults' files, CopyFiles' contents under their
 * source folder, and the Markdown handed to task.uploadsummary (Azure).
 */
export function publishedPaths(steps: readonly CiStep[], system: CiSystem): { step: string; path: string }[] {
  const lines = (text: string | undefined): string[] => (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return steps.flatMap((step) => {
    const uses = step.uses ?? '';
    const paths: string[] = [];
    if (system === 'github') {
      if (uses.startsWith('actions/upload-artifact@')) paths.push(...lines(step.inputs.path));
      if (uses.startsWith('mikepenz/action-junit-report@')) paths.push(...lines(step.inputs.report_paths).flatMap((l) => l.split(',')));
    } else {
      if (uses.startsWith('PublishTestResults@')) paths.push(...lines(step.inputs.testResultsFiles));
      if (uses.startsWith('CopyFiles@')) paths.push(...lines(step.inputs.Contents).map((c) => `${(step.inputs.SourceFolder ?? '').replace(/\/$/, '')}/${c}`));
      const script = step.script ?? '';
      for (const match of script.matchAll(/##vso\[task\.uploadsummary\]([^"'\s]+)/g)) {
        const path = match[1]!.replace(/^\$\(System\.DefaultWorkingDirectory\)\//, '');
        // A loop variable (`for f in results/*/report.md; do … $f`) stands for the loop's pattern.
        const variable = /^\$\{?(\w+)\}?$/.exec(path)?.[1];
        const loop = variable ? new RegExp(`for ${variable} in (\\S+);`).exec(script)?.[1] : undefined;
        paths.push(loop ?? path);
      }
    }
    return paths.map((path) => ({ step: step.label, path: path.trim() }));
  });
}

/** Whether a step still runs after the gate failed (to publish what the failed run left). */
export function runsAfterFailure(step: CiStep, system: CiSystem): boolean {
  const condition = (step.condition ?? '').replace(/\s/g, '');
  return system === 'github' ? /always\(\)|!cancelled\(\)|failure\(\)/.test(condition) : /^(always|succeededOrFailed|failed)\(\)$/.test(condition);
}

/** What a CI example must get right, as problems (empty: none), each naming the file and step. */
export interface ExampleFacts {
  /** Files a run writes into its folder (journal.json and the reports' files). */
  runFiles: ReadonlySet<string>;
  /** Files of the repository, relative to its root, for the path filters to be tried on. */
  repositoryFiles: readonly string[];
  /** Whether a folder exists in the repository. */
  isFolder: (relativePath: string) => boolean;
}

export async function ciExampleProblems(text: string, file: string, system: CiSystem, facts: ExampleFacts): Promise<string[]> {
  const problems: string[] = [];
  let parsed: ParsedCi;
  try {
    parsed = parseCi(text, file, system);
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
  const { doc, steps } = parsed;
  const say = (message: string): void => void problems.push(`${file}: ${message}`);

  // Provisioning: Node, the dependencies, the pinned tools.
  const node = steps.find((s) => (system === 'github' ? s.uses?.startsWith('actions/setup-node@') : s.uses?.startsWith('NodeTool@')));
  const nodeVersion = node ? (system === 'github' ? node.inputs['node-version'] : node.inputs.versionSpec) : undefined;
  const [major = 0, minor = 0] = (nodeVersion ?? '').split('.').map((part) => Number.parseInt(part, 10) || 0);
  if (!node || !(major > 22 || (major === 22 && minor >= 12))) say(`no step sets up Node 22.12 or later (package.json engines)${nodeVersion ? `: found ${nodeVersion}` : ''}`);
  if (!steps.some((s) => /(^|\s)npm ci(\s|$)/m.test(s.script ?? ''))) say('no step runs `npm ci`');
  const invocations = spillwayInvocations(steps);
  if (!invocations.some((i) => i.args[0] === 'tools' && i.args[1] === 'install')) say('no step runs `spillway tools install` (k6 and Toxiproxy)');

  // Every spillway command line parses as the CLI parses it.
  for (const invocation of invocations) {
    const problem = await cliProblem(invocation.args);
    if (problem !== null) say(`step "${invocation.step}": \`spillway ${invocation.args.join(' ')}\`: ${problem}`);
  }

  // The gate: `spillway run smoke --config <the APIOps folder>`, whose failure fails the job.
  const gate = invocations.find((i) => i.args[0] === 'run' && i.args[1] === 'smoke');
  if (!gate) {
    say('no step runs the smoke gate (`spillway run smoke`)');
    return problems;
  }
  const gateStep = steps.find((s) => s.label === gate.step)!;
  if (gateStep.continueOnError) say(`step "${gate.step}": continues on error, so a failed gate would not fail the job`);
  const config = flagValue(gate.args, '--config')?.replace(/\/$/, '');
  const results = (flagValue(gate.args, '--results') ?? 'results').replace(/\/$/, '');
  if (config === undefined) say(`step "${gate.step}": the gate names no --config: the path filters must name the folder it reads`);
  else if (!facts.isFolder(config)) say(`step "${gate.step}": --config ${config} is not a folder of the repository`);

  // The trigger: every change to the APIOps folder, and not every change at all.
  const filters = triggerPathFilters(doc, system);
  if (Object.keys(filters).length === 0) say('no trigger with path filters');
  if (config !== undefined) {
    const inFolder = facts.repositoryFiles.filter((f) => f.startsWith(`${config}/`));
    const outside = facts.repositoryFiles.filter((f) => !f.startsWith(`${config}/`));
    for (const [trigger, patterns] of Object.entries(filters)) {
      const regexes = patterns.map((p) => pathFilter(p, system));
      const matches = (f: string): boolean => regexes.some((r) => r.test(f));
      const missed = inFolder.filter((f) => !matches(f));
      if (patterns.length === 0) say(`trigger ${trigger}: no path filter (every change would run the gate)`);
      else if (inFolder.length === 0 || missed.length > 0) say(`trigger ${trigger}: the path filters (${patterns.join(', ')}) miss changes to ${config}, the folder --config reads${missed.length > 0 ? ` (such as ${missed[0]})` : ''}`);
      const stray = outside.find(matches);
      if (stray !== undefined) say(`trigger ${trigger}: the path filters (${patterns.join(', ')}) also take ${stray}, outside ${config}`);
    }
  }

  // What is kept: files the run writes, from the run folders under --results, after a failure too.
  const published = publishedPaths(steps, system);
  for (const { step, path } of published) {
    const match = /^(.+)\/\*\/([^/*]+)$/.exec(path);
    if (!match || match[1] !== results) say(`step "${step}": ${path} is not a file of a run folder (${results}/*/<file>, --results ${results})`);
    else if (!facts.runFiles.has(match[2]!)) say(`step "${step}": ${path}: a run writes no ${match[2]} (it writes ${[...facts.runFiles].join(', ')})`);
  }
  for (const wanted of ['junit.xml', 'report.html']) {
    if (!published.some((p) => p.path.endsWith(`/${wanted}`))) say(`nothing publishes ${wanted}`);
  }
  for (const step of steps.filter((s) => published.some((p) => p.step === s.label))) {
    if (!runsAfterFailure(step, system)) say(`step "${step.label}": does not run after a failed gate, when its reports matter most`);
  }
  if (system === 'azure' && !published.some((p) => p.path.endsWith('/report.md') && steps.some((s) => s.label === p.step && /task\.uploadsummary/.test(s.script ?? '')))) {
    say('no step hands report.md to ##vso[task.uploadsummary] (the step summary)');
  }
  return problems;
}
