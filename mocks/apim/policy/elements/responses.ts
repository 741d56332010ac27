/** `<return-response>`, `<set-status>` and `<set-body>`. */
import { report } from '../compile-context.ts';
import { readValue } from '../element-reader.ts';
import type { ReturnResponseChild, ReturnResponsePolicy, SetBodyPolicy, SetStatusPolicy } from '../policy-ast.ts';
import { anyString, boolean, oneOf } from '../value-parsers.ts';
import { nodeBase } from './element-compiler.ts';
import type { ElementCompiler } from './element-compiler.ts';

export const RETURN_RESPONSE_CHILDREN: readonly string[] = ['set-status', 'set-header', 'set-body'];

export const compileReturnResponse: ElementCompiler = (r, placement, env): ReturnResponsePolicy | null => {
  const base = nodeBase(r);
  const responseVariableName = r.literalString('response-variable-name');
  // The dispatcher enforces that only set-status / set-header / set-body appear here.
  const policies = env.compileChildren(r.element.content, { section: placement.section, parent: 'return-response' });
  const children = policies.filter((p): p is ReturnResponseChild => p.kind === 'set-status' || p.kind === 'set-header' || p.kind === 'set-body');
  return { ...base, kind: 'return-response', responseVariableName, policies: children };
};

export const compileSetStatus: ElementCompiler = (r): SetStatusPolicy | null => {
  const base = nodeBase(r);
  const code = r.int('code', 100, 599, { required: true });
  const reason = r.string('reason', { required: true });
  r.noContent();
  if (!code || !reason) return null;
  return { ...base, kind: 'set-status', code, reason };
};

export const compileSetBody: ElementCompiler = (r): SetBodyPolicy | null => {
  const base = nodeBase(r);
  const template = r.literalString('template');
  if (template !== null) {
    if (template.trim().toLowerCase() === 'liquid') r.problem('unsupported-attribute', r.element.start, 'template="liquid" is not supported by the emulator: Liquid templates cannot be rendered; use a policy expression instead');
    else r.problem('invalid-value', r.element.start, `invalid value for attribute 'template': expected "liquid", got "${template}"`);
    return null;
  }
  const xsiNil = r.literal('xsi-nil', oneOf(['blank', 'null'] as const));
  const parseDate = r.literal('parse-date', boolean) ?? true;
  const { ctx, element } = r;
  if (element.content.some((c) => c.kind === 'element')) {
    // Markup inside set-body is a literal XML body (e.g. a SOAP envelope): keep it verbatim.
    const text = ctx.source.slice(element.innerStart, element.innerEnd);
    const offsets = Array.from({ length: text.length + 1 }, (_, i) => element.innerStart + i);
    if (text.trimStart().startsWith('@')) {
      report(ctx, 'invalid-expression', element.innerStart, r.name, 'a policy expression body cannot contain XML elements (escape "<" as "&lt;" or use CDATA)');
      return null;
    }
    const body = readValue(ctx, r.name, '<set-body> text', { text, offsets, start: element.innerStart, end: element.innerEnd }, { parse: anyString, kind: 'string', expressions: false });
    return body ? { ...base, kind: 'set-body', body, xsiNil, parseDate } : null;
  }
  // The body is used exactly as written (no trimming): it is the payload.
  const body = r.text({ trim: false, parse: anyString, kind: 'string' });
  if (!body) return null;
  return { ...base, kind: 'set-body', body, xsiNil, parseDate };
};
