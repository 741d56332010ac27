/**
 * The steps every document goes through before its elements are compiled: line-ending
 * normalisation, named-value substitution, XML parsing. Problems found here (unknown named
 * values, malformed XML) are reported with original-file positions like all others.
 */
import type { CompileContext } from './compile-context.ts';
import { report } from './compile-context.ts';
import { escapeInlineExpressions } from './inline-expressions.ts';
import { substituteNamedValues } from './named-values.ts';
import type { CompiledFragment, PolicyScope } from './policy-ast.ts';
import type { PolicyProblem } from './policy-errors.ts';
import { LineIndex, SourceMap } from './source-map.ts';
import { parseXml, XmlSyntaxError } from './xml-tree.ts';
import type { XmlElement } from './xml-tree.ts';

export interface PrepareOptions {
  readonly file: string;
  readonly namedValues: ReadonlyMap<string, string>;
  readonly fragments: ReadonlyMap<string, CompiledFragment>;
  readonly scope: PolicyScope | null;
  readonly fragmentId: string | undefined;
  readonly includeChain?: readonly string[];
  readonly brokenFragments?: ReadonlySet<string>;
}

export interface PreparedDocument {
  readonly ctx: CompileContext;
  /** null when the XML is malformed (the problem is in ctx.problems). */
  readonly root: XmlElement | null;
}

export function prepareDocument(xml: string, options: PrepareOptions): PreparedDocument {
  // CRLF → LF keeps every line and column where it was (the '\r' sat at the line end); a
  // leading BOM is not part of the text an editor shows.
  const original = xml.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const substitution = substituteNamedValues(original, options.namedValues);
  const escaped = escapeInlineExpressions(substitution.text);
  const map = new SourceMap(options.file, original, [substitution.replacements, escaped.replacements]);
  const problems: PolicyProblem[] = [];
  const lines = new LineIndex(original);
  const ctx: CompileContext = {
    file: options.file,
    source: escaped.text,
    map,
    unresolved: substitution.unresolved,
    problems,
    fragments: options.fragments,
    brokenFragments: options.brokenFragments ?? new Set(),
    fragmentId: options.fragmentId,
    scope: options.scope,
    includeChain: options.includeChain ?? [],
  };
  for (const u of substitution.unresolved) {
    const { line, column } = lines.locate(u.origStart);
    problems.push({ code: 'unknown-named-value', file: options.file, line, column, element: enclosingElement(original, u.origStart) || 'named-value', message: `unknown named value '{{${u.name}}}'` });
  }
  try {
    return { ctx, root: parseXml(escaped.text) };
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    report(ctx, 'malformed-xml', err.offset, err.element ?? (enclosingElement(original, map.toOriginal(err.offset)) || 'xml'), `malformed XML: ${err.message}`);
    return { ctx, root: null };
  }
}

/** Name of the element whose tag or content contains `offset` (best effort, for messages). */
function enclosingElement(text: string, offset: number): string {
  const lt = text.lastIndexOf('<', Math.max(0, offset - 1));
  const close = /^<\/([A-Za-z_][\w.:-]*)/.exec(text.slice(lt));
  if (lt >= 0 && close) return close[1] as string;
  let name = '';
  for (const m of text.slice(0, offset).matchAll(/<([A-Za-z_][\w.:-]*)/g)) name = m[1] as string;
  return name;
}
