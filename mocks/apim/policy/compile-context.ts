/**
 * State shared by everything that compiles one document: where positions map to, the problems
 * found so far, and what the document may refer to (fragments). Element compilers report into
 * `problems` and keep going, which is how one compile lists every problem of a document.
 */
import type { CompiledFragment, PolicyScope, SectionName, SourceLocation } from './policy-ast.ts';
import type { PolicyProblem, PolicyProblemCode } from './policy-errors.ts';
import { overlaps } from './source-map.ts';
import type { Replacement, SourceMap } from './source-map.ts';

export interface CompileContext {
  readonly file: string;
  /** The named-value-substituted document text all offsets refer to. */
  readonly source: string;
  readonly map: SourceMap;
  /**
   * Unknown `{{name}}` references (already reported), in the coordinates of the substituted
   * text (SourceMap layer 1); values touching them are not validated further.
   */
  readonly unresolved: readonly Replacement[];
  readonly problems: PolicyProblem[];
  readonly fragments: ReadonlyMap<string, CompiledFragment>;
  /** Fragment ids that exist but failed to compile (their own problems are reported elsewhere). */
  readonly brokenFragments: ReadonlySet<string>;
  /** The id of the fragment being compiled (undefined for policy documents and anonymous fragments). */
  readonly fragmentId: string | undefined;
  /** null while compiling a fragment: its scope is only known where it is included. */
  readonly scope: PolicyScope | null;
  /** Fragment ids being expanded above this document, to detect include cycles. */
  readonly includeChain: readonly string[];
}

/** Where policies being compiled will run: the section (null inside a fragment) and what encloses them. */
export interface Placement {
  readonly section: SectionName | null;
  /** Parent policy element when not directly in a section or fragment, e.g. "retry". */
  readonly parent: string | null;
}

export function report(ctx: CompileContext, code: PolicyProblemCode, offset: number, element: string, message: string): void {
  const { line, column } = ctx.map.at(offset);
  ctx.problems.push({ code, file: ctx.file, line, column, element, message });
}

export function locate(ctx: CompileContext, offset: number): SourceLocation {
  return ctx.map.at(offset);
}

/** True when `[start, end)` contains an unknown named value, whose problem is already reported. */
export function touchesUnresolved(ctx: CompileContext, start: number, end: number): boolean {
  return ctx.unresolved.length > 0 && overlaps(ctx.map.toLayer(start, 1), ctx.map.toLayer(end, 1), ctx.unresolved);
}
