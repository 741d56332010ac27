/**
 * `<include-fragment fragment-id>`: inlines an already compiled fragment. APIM inserts the
 * fragment "as is", so placement rules apply to the fragment's policies as if they were
 * written at the include site; they are checked here because only the include site knows the
 * section.
 */
import { allowedIn, sectionsText } from './element-catalog.ts';
import type { Placement } from './compile-context.ts';
import type { ElementReader } from './element-reader.ts';
import type { PolicyNode } from './policy-ast.ts';
import { tagFragment, walkPolicies } from './policy-walk.ts';
import { didYouMean } from './suggest.ts';

export function compileIncludeFragment(r: ElementReader, placement: Placement): PolicyNode[] {
  const id = r.literalString('fragment-id', { required: true });
  r.policyId();
  r.noContent();
  if (id === null) return [];
  const { ctx } = r;
  if (ctx.includeChain.includes(id) || ctx.fragmentId === id) {
    const chain = [...ctx.includeChain, ...(ctx.fragmentId === undefined ? [] : [ctx.fragmentId]), id];
    r.problem('fragment-cycle', r.element.start, `fragment include cycle: ${chain.join(' → ')}`);
    return [];
  }
  const fragment = ctx.fragments.get(id);
  if (!fragment && ctx.brokenFragments.has(id)) {
    r.problem('unknown-fragment', r.element.start, `fragment '${id}' did not compile (see its own problems)`);
    return [];
  }
  if (!fragment) {
    r.problem('unknown-fragment', r.element.start, `unknown fragment '${id}'${didYouMean(id, ctx.fragments.keys())}`);
    return [];
  }
  const section = placement.section;
  if (section !== null && placement.parent !== 'return-response') {
    walkPolicies(fragment.policies, (node) => {
      if (node.kind === 'return-response') {
        if (!allowedIn(node.kind, section)) reportMisplaced(r, id, node, section);
        return false;
      }
      if (!allowedIn(node.kind, section)) reportMisplaced(r, id, node, section);
      return true;
    });
  }
  return tagFragment(fragment.policies, id);
}

function reportMisplaced(r: ElementReader, id: string, node: PolicyNode, section: string): void {
  r.problem(
    'misplaced-element',
    r.element.start,
    `fragment '${id}' contains <${node.kind}> (${node.at.file}:${node.at.line}:${node.at.column}), which is not allowed in the ${section} section (APIM allows it in: ${sectionsText(node.kind)})`,
  );
}
