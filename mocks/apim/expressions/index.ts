/**
 * Public entry point of the APIM policy-expression language: compile an attribute value
 * (`@(...)` or `@{...}`) once when a policy is loaded, then evaluate it per request against
 * a PolicyContextView. See README.md for what is and is not supported.
 */
import { compileProgram } from './compiler.ts';
import { toDisplayString } from './conversions.ts';
import type { PolicyContextView } from './context-types.ts';
import { ExpressionError } from './errors.ts';
import type { Frame } from './members.ts';
import { isExpressionText, parsePolicyExpression } from './parser.ts';
import { typeName } from './types.ts';

export { ExpressionError, ExpressionRuntimeError } from './errors.ts';
export type * from './context-types.ts';
export { headerMap, messageBody, queryMap, urlView } from './context-builders.ts';
export { JArray, JObject, JToken, JValue } from './jtoken.ts';
export { ClrDateTime, ClrGuid, ClrTimeSpan } from './clr-values.ts';

export interface CompileOptions {
  /**
   * 'auto' (default) accepts both forms; 'expression' requires `@( )` and 'block' requires
   * `@{ }`, for attributes where APIM only accepts one.
   */
  kind?: 'auto' | 'expression' | 'block';
}

export interface CompiledExpression {
  /** The attribute text it was compiled from. */
  readonly text: string;
  readonly kind: 'expression' | 'block';
  /** C# static type of the result, e.g. "bool", "string", "int?", "JObject". */
  readonly resultType: string;
  /**
   * Runs the expression. Results use the run-time representation: string, number, boolean,
   * null, JToken, ClrDateTime/ClrTimeSpan/ClrGuid, string[]. Throws ExpressionRuntimeError
   * for what would be an exception on APIM.
   */
  evaluate(context: PolicyContextView): unknown;
}

/** Is this attribute value a policy expression? Anything else is a literal. */
export function isExpression(text: string): boolean {
  return isExpressionText(text);
}

const NO_LOCALS: unknown[] = [];

/** Parses and type-checks; throws ExpressionError (with line and column) on any problem. */
export function compileExpression(text: string, options: CompileOptions = {}): CompiledExpression {
  const parsed = parsePolicyExpression(text);
  const kind = options.kind ?? 'auto';
  if (kind !== 'auto' && kind !== parsed.kind) {
    const lead = text.length - text.trimStart().length;
    throw new ExpressionError(kind === 'expression' ? "expected a single expression '@( ... )' here" : "expected a statement block '@{ ... }' here", text, lead);
  }
  const program = compileProgram(parsed);
  const run = program.run;
  const slots = program.slots;
  return {
    text,
    kind: parsed.kind,
    resultType: typeName(program.type),
    evaluate(context: PolicyContextView): unknown {
      const frame: Frame = { ctx: context, locals: slots === 0 ? NO_LOCALS : new Array<unknown>(slots) };
      const result = run(frame);
      return result === undefined ? null : result;
    },
  };
}

/**
 * The text APIM would put in a header or body for an expression result: .NET ToString()
 * (True/False for bool, invariant number formats), and "" for null.
 */
export function formatValue(value: unknown): string {
  return toDisplayString(value);
}
