/** `<policies>` documents: the four sections, each compiled with its placement rules. */
import { report } from './compile-context.ts';
import { compilePolicyList } from './compile-nodes.ts';
import type { CompiledFragment, CompiledPolicy, PolicyNode, PolicyScope, SectionName } from './policy-ast.ts';
import { PolicyCompileError } from './policy-errors.ts';
import { prepareDocument } from './prepare-document.ts';
import { didYouMean } from './suggest.ts';

export interface CompilePolicyOptions {
  /** Shown in every problem; usually the path the policy was loaded from. */
  readonly file: string;
  readonly scope: PolicyScope;
  /** Named values by name (matched exactly, then case-insensitively). */
  readonly namedValues: ReadonlyMap<string, string>;
  /** Compiled fragments by fragment id, for `<include-fragment>`. */
  readonly fragments: ReadonlyMap<string, CompiledFragment>;
}

const SECTION_NAMES: readonly SectionName[] = ['inbound', 'backend', 'outbound', 'on-error'];

/**
 * Compiles a policy document. Throws PolicyCompileError listing every problem found (XML
 * errors stop the compile at the first one, since the rest of the tree is unknown).
 */
export function compilePolicyDocument(xml: string, options: CompilePolicyOptions): CompiledPolicy {
  const { ctx, root } = prepareDocument(xml, { ...options, fragmentId: undefined });
  const sections: Record<SectionName, PolicyNode[] | null> = { inbound: null, backend: null, outbound: null, 'on-error': null };
  if (root) {
    if (root.name !== 'policies') {
      report(ctx, 'invalid-structure', root.start, root.name, `the root element must be <policies>, found <${root.name}>`);
    } else {
      for (const attr of root.attributes) {
        if (!attr.name.startsWith('xmlns')) report(ctx, 'unknown-attribute', attr.nameStart, 'policies', `unknown attribute '${attr.name}'`);
      }
      for (const item of root.content) {
        if (item.kind === 'text') {
          report(ctx, 'invalid-structure', item.start, 'policies', 'unexpected text: <policies> may only contain the sections inbound, backend, outbound and on-error');
          continue;
        }
        const section = SECTION_NAMES.find((s) => s === item.name);
        if (!section) {
          report(ctx, 'unknown-element', item.start, item.name, `unknown section <${item.name}>: expected inbound, backend, outbound or on-error${didYouMean(item.name, SECTION_NAMES)}`);
          continue;
        }
        if (sections[section] !== null) {
          report(ctx, 'invalid-structure', item.start, section, `duplicate <${section}> section`);
          continue;
        }
        for (const attr of item.attributes) report(ctx, 'unknown-attribute', attr.nameStart, section, `unknown attribute '${attr.name}'`);
        sections[section] = compilePolicyList(ctx, item.content, { section, parent: null });
      }
    }
  }
  if (ctx.problems.length > 0) throw new PolicyCompileError(ctx.problems);
  return { file: options.file, scope: options.scope, sections };
}
