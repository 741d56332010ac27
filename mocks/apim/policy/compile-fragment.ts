/**
 * `<fragment>` documents, singly or as a set. A fragment is compiled without knowing where it
 * will be included; placement is checked at each include site (include-fragment.ts).
 *
 * APIM's docs (policy-fragments, 2026) say a fragment currently cannot include another
 * fragment. The emulator allows nesting (and rejects cycles) because Spillway's own fragment
 * libraries use it; `gateway check` users should know APIM may reject such a fragment.
 */
import { report } from './compile-context.ts';
import { compilePolicyList } from './compile-nodes.ts';
import { ALL_SECTIONS, allowedIn } from './element-catalog.ts';
import type { CompiledFragment, PolicyNode, SectionName } from './policy-ast.ts';
import { PolicyCompileError, sortProblems } from './policy-errors.ts';
import type { PolicyProblem } from './policy-errors.ts';
import { walkPolicies } from './policy-walk.ts';
import { prepareDocument } from './prepare-document.ts';
import { parseXml } from './xml-tree.ts';
import type { XmlElement } from './xml-tree.ts';

export interface CompileFragmentOptions {
  readonly file: string;
  /** The fragment's id: tagged on its nodes, and used to detect a fragment including itself. */
  readonly id?: string;
  readonly namedValues: ReadonlyMap<string, string>;
  /** Already compiled fragments it may include. */
  readonly fragments: ReadonlyMap<string, CompiledFragment>;
}

/** Compiles one fragment; throws PolicyCompileError with every problem found. */
export function compileFragment(xml: string, options: CompileFragmentOptions): CompiledFragment {
  const result = tryCompileFragment(xml, options, []);
  if ('problems' in result) throw new PolicyCompileError(result.problems);
  return result;
}

function tryCompileFragment(
  xml: string,
  options: CompileFragmentOptions,
  includeChain: readonly string[],
  brokenFragments: ReadonlySet<string> = new Set(),
): CompiledFragment | { problems: PolicyProblem[] } {
  const { ctx, root } = prepareDocument(xml, { ...options, scope: null, fragmentId: options.id, includeChain, brokenFragments });
  let policies: PolicyNode[] = [];
  if (root) {
    if (root.name !== 'fragment') {
      report(ctx, 'invalid-structure', root.start, root.name, `the root element of a fragment must be <fragment>, found <${root.name}>`);
    } else {
      for (const attr of root.attributes) {
        if (!attr.name.startsWith('xmlns')) report(ctx, 'unknown-attribute', attr.nameStart, 'fragment', `unknown attribute '${attr.name}'`);
      }
      policies = compilePolicyList(ctx, root.content, { section: null, parent: null });
    }
  }
  if (ctx.problems.length > 0) return { problems: ctx.problems };
  return { id: options.id ?? null, file: options.file, policies, sectionsAllowed: sectionsAllowed(policies) };
}

/** Sections in which every policy of the fragment (return-response children aside) is allowed. */
function sectionsAllowed(policies: readonly PolicyNode[]): ReadonlySet<SectionName> {
  const allowed = new Set<SectionName>(ALL_SECTIONS);
  walkPolicies(policies, (node) => {
    for (const s of ALL_SECTIONS) if (!allowedIn(node.kind, s)) allowed.delete(s);
    return node.kind !== 'return-response';
  });
  return allowed;
}

export interface FragmentSource {
  readonly xml: string;
  readonly file: string;
}

export interface FragmentSetResult {
  /** Every fragment that compiled, by id. */
  readonly fragments: ReadonlyMap<string, CompiledFragment>;
  /** Problems of all fragments (include cycles included), in file order. */
  readonly problems: readonly PolicyProblem[];
}

/**
 * Compiles a set of fragments that may include each other, in dependency order. A cycle is
 * reported at the include that closes it, naming the whole chain; fragments on a cycle (or
 * including a broken fragment) are left out of the result.
 */
export function compileFragmentSet(
  sources: ReadonlyMap<string, FragmentSource>,
  options: { namedValues: ReadonlyMap<string, string>; allowNestedFragments?: boolean },
): FragmentSetResult {
  const compiled = new Map<string, CompiledFragment>();
  const problems: PolicyProblem[] = [];
  // APIM: "a policy fragment can't include another policy fragment" (policy-fragments docs,
  // 2026). A configuration the emulator accepts must deploy, so nesting is refused unless a
  // caller opts in (the compiler's own tests exercise nesting and cycles that way).
  if (options.allowNestedFragments !== true) {
    for (const source of sources.values()) problems.push(...nestedIncludeProblems(source));
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const broken = new Set<string>();

  const visit = (id: string, chain: readonly string[]): void => {
    const source = sources.get(id);
    if (!source || state.get(id) === 'done') return;
    state.set(id, 'visiting');
    for (const dep of includedIds(source.xml, options.namedValues)) {
      // A dependency still being visited is on a cycle: the compile below reports it, since
      // `chain` (the ids being visited) is passed as the include chain.
      if (state.get(dep) === 'visiting') continue;
      visit(dep, [...chain, id]);
    }
    const result = tryCompileFragment(source.xml, { file: source.file, id, namedValues: options.namedValues, fragments: compiled }, chain, broken);
    if ('problems' in result) {
      problems.push(...result.problems);
      broken.add(id);
    } else {
      compiled.set(id, result);
    }
    state.set(id, 'done');
  };
  for (const id of sources.keys()) visit(id, []);
  return { fragments: compiled, problems: sortProblems(dedupe(problems)) };
}

/** One problem per `<include-fragment>` written inside a fragment, at its position in the file. */
function nestedIncludeProblems(source: FragmentSource): PolicyProblem[] {
  const found: PolicyProblem[] = [];
  for (const match of source.xml.matchAll(/<include-fragment\b/g)) {
    const before = source.xml.slice(0, match.index);
    const line = before.split('\n').length;
    const column = match.index - before.lastIndexOf('\n');
    found.push({
      code: 'misplaced-element',
      file: source.file,
      line,
      column,
      element: 'include-fragment',
      message: 'a policy fragment cannot include another policy fragment in APIM; include both from the policy instead',
    });
  }
  return found;
}

/** fragment-ids a fragment includes (best effort: unparsable fragments report their own errors). */
function includedIds(xml: string, namedValues: ReadonlyMap<string, string>): string[] {
  let root: XmlElement;
  try {
    const text = xml.replace(/\{\{([A-Za-z0-9._-]+)\}\}/g, (m, name: string) => namedValues.get(name) ?? m);
    root = parseXml(text.replace(/\r\n?/g, '\n'));
  } catch {
    return [];
  }
  const ids: string[] = [];
  const walk = (el: XmlElement) => {
    if (el.name === 'include-fragment') {
      const id = el.attributes.find((a) => a.name === 'fragment-id')?.value.text;
      if (id !== undefined) ids.push(id);
    }
    for (const c of el.content) if (c.kind === 'element') walk(c);
  };
  walk(root);
  return ids;
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
