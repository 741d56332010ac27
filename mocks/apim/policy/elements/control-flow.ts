/** `<choose>` and `<retry>`: the policies that nest other policies. */
import { ElementReader } from '../element-reader.ts';
import type { ChoosePolicy, PolicyNode, RetryPolicy, WhenClause } from '../policy-ast.ts';
import { nodeBase } from './element-compiler.ts';
import type { ElementCompiler } from './element-compiler.ts';

export const compileChoose: ElementCompiler = (r, placement, env): ChoosePolicy | null => {
  const base = nodeBase(r);
  const when: WhenClause[] = [];
  let otherwise: PolicyNode[] | null = null;
  for (const child of r.children()) {
    const c = new ElementReader(r.ctx, child);
    if (child.name === 'when') {
      if (otherwise !== null) c.problem('invalid-structure', child.start, '<when> must come before <otherwise>');
      const condition = c.bool('condition', { required: true });
      const policies = env.compileChildren(child.content, { section: placement.section, parent: 'when' });
      c.finish();
      if (condition) when.push({ at: c.at, condition, policies });
    } else if (child.name === 'otherwise') {
      if (otherwise !== null) c.problem('invalid-structure', child.start, 'only one <otherwise> is allowed in <choose>');
      otherwise = env.compileChildren(child.content, { section: placement.section, parent: 'otherwise' });
      c.finish();
    } else {
      c.problem('invalid-structure', child.start, `<choose> may only contain <when> and <otherwise>, found <${child.name}>`);
    }
  }
  if (!r.element.content.some((c) => c.kind === 'element' && c.name === 'when')) {
    r.problem('invalid-structure', r.element.start, '<choose> must contain at least one <when>');
  }
  return { ...base, kind: 'choose', when, otherwise };
};

export const compileRetry: ElementCompiler = (r, placement, env): RetryPolicy | null => {
  const base = nodeBase(r);
  const condition = r.bool('condition', { required: true });
  const count = r.int('count', 1, 50, { required: true });
  const interval = r.int('interval', 0, Number.MAX_SAFE_INTEGER, { required: true });
  const maxInterval = r.int('max-interval', 0, Number.MAX_SAFE_INTEGER);
  const delta = r.int('delta', 0, Number.MAX_SAFE_INTEGER);
  const firstFastRetry = r.bool('first-fast-retry') ?? r.fallback('false', false);
  const policies = env.compileChildren(r.element.content, { section: placement.section, parent: 'retry' });
  if (!condition || !count || !interval) return null;
  return { ...base, kind: 'retry', condition, count, interval, maxInterval, delta, firstFastRetry, policies };
};
