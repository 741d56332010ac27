/** Helpers for the policy compiler tests: compile with defaults, and list problems as text. */
import { compileFragment } from './compile-fragment.ts';
import { compilePolicyDocument } from './compile-document.ts';
import type { CompiledFragment, CompiledPolicy, PolicyNode, PolicyScope } from './policy-ast.ts';
import { formatProblem, PolicyCompileError } from './policy-errors.ts';

export interface TestOptions {
  file?: string;
  scope?: PolicyScope;
  namedValues?: Record<string, string>;
  fragments?: Record<string, CompiledFragment>;
}

export function compile(xml: string, options: TestOptions = {}): CompiledPolicy {
  return compilePolicyDocument(xml, {
    file: options.file ?? 'policy.xml',
    scope: options.scope ?? 'api',
    namedValues: new Map(Object.entries(options.namedValues ?? {})),
    fragments: new Map(Object.entries(options.fragments ?? {})),
  });
}

/** The problems of a document that must not compile, formatted "file:line:col: element: message". */
export function problems(xml: string, options: TestOptions = {}): string[] {
  try {
    compile(xml, options);
  } catch (err) {
    if (err instanceof PolicyCompileError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error('expected the policy not to compile');
}

/** Wraps policies in `<policies><section>…</section></policies>`; line 3 holds the first policy line. */
export function inSection(section: string, ...lines: string[]): string {
  return ['<policies>', `  <${section}>`, ...lines, `  </${section}>`, '</policies>'].join('\n');
}

/** Compiles a single-section document and returns its policies. */
export function policiesOf(section: string, lines: string[], options: TestOptions = {}): readonly PolicyNode[] {
  const compiled = compile(inSection(section, ...lines), options);
  const list = compiled.sections[section as keyof CompiledPolicy['sections']];
  if (!list) throw new Error(`section ${section} missing`);
  return list;
}

/** The node type(s) whose `kind` includes K (set-header and set-query-parameter share one). */
export type NodeOf<K extends PolicyNode['kind']> = PolicyNode extends infer N ? (N extends { kind: infer NK } ? (K extends NK ? N : never) : never) : never;

/** The only policy of an inbound (or given) section, narrowed to a kind. */
export function only<K extends PolicyNode['kind']>(kind: K, lines: string[], section = 'inbound', options: TestOptions = {}): NodeOf<K> {
  const list = policiesOf(section, lines, options);
  const node = list[0];
  if (list.length !== 1 || !node || node.kind !== kind) throw new Error(`expected one <${kind}>, got ${list.map((n) => n.kind).join(', ')}`);
  return node as NodeOf<K>;
}

export function fragment(xml: string, options: { file?: string; id?: string; namedValues?: Record<string, string>; fragments?: Record<string, CompiledFragment> } = {}): CompiledFragment {
  return compileFragment(xml, {
    file: options.file ?? 'fragment.xml',
    ...(options.id === undefined ? {} : { id: options.id }),
    namedValues: new Map(Object.entries(options.namedValues ?? {})),
    fragments: new Map(Object.entries(options.fragments ?? {})),
  });
}

export function fragmentProblems(xml: string, options: Parameters<typeof fragment>[1] = {}): string[] {
  try {
    fragment(xml, options);
  } catch (err) {
    if (err instanceof PolicyCompileError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error('expected the fragment not to compile');
}
