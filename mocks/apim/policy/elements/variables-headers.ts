/** `<set-variable>`, `<set-header>` and `<set-query-parameter>`. */
import { ElementReader } from '../element-reader.ts';
import type { ExistsAction, PolicyValue, SetHeaderPolicy, SetVariablePolicy } from '../policy-ast.ts';
import { anyString } from '../value-parsers.ts';
import { nodeBase } from './element-compiler.ts';
import type { ElementCompiler } from './element-compiler.ts';

const EXISTS_ACTIONS: readonly ExistsAction[] = ['override', 'skip', 'append', 'delete'];

export const compileSetVariable: ElementCompiler = (r): SetVariablePolicy | null => {
  const base = nodeBase(r);
  const name = r.literalString('name', { required: true });
  const value = r.string('value', { required: true });
  r.noContent();
  if (name === null || value === null) return null;
  if (name.trim() === '') r.problem('invalid-value', r.element.start, "attribute 'name' must not be empty");
  return { ...base, kind: 'set-variable', name, value };
};

/** set-header and set-query-parameter share their shape; only the target differs. */
export const compileSetHeader: ElementCompiler = (r): SetHeaderPolicy | null => {
  const base = nodeBase(r);
  const kind = r.name === 'set-query-parameter' ? 'set-query-parameter' : 'set-header';
  const name = r.string('name', { required: true });
  const existsAction = r.choice('exists-action', EXISTS_ACTIONS) ?? r.fallback('override', 'override' as ExistsAction);
  const values: PolicyValue[] = [];
  for (const child of r.children()) {
    const c = new ElementReader(r.ctx, child);
    if (child.name !== 'value') {
      c.problem('invalid-structure', child.start, `<${r.name}> may only contain <value> elements, found <${child.name}>`);
      continue;
    }
    // Values are trimmed: policies are usually indented, and header values cannot carry
    // leading/trailing whitespace anyway.
    const v = c.text({ trim: true, parse: anyString, kind: 'string' });
    c.finish();
    if (v) values.push(v);
  }
  const deleting = existsAction.kind === 'literal' && existsAction.value === 'delete';
  if (kind === 'set-query-parameter' && values.length === 0 && !deleting && !r.element.content.some((c) => c.kind === 'element')) {
    r.problem('invalid-structure', r.element.start, '<set-query-parameter> requires at least one <value> unless exists-action is "delete"');
  }
  if (name === null) return null;
  return { ...base, kind, name, existsAction, values };
};
