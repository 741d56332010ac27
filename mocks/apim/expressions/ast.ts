/**
 * Syntax tree for policy expressions. Every node records its source range (absolute offsets
 * into the attribute text) so the compiler can point type errors at the exact token.
 */

export interface Span {
  start: number;
  end: number;
}

/** A type as written in source: `string`, `bool?`, `JObject`, `string[]`, `Newtonsoft.Json.Linq.JToken`. */
export interface TypeNode extends Span {
  kind: 'Type';
  /** Dotted name as written, e.g. "int" or "Newtonsoft.Json.Linq.JObject". */
  name: string;
  typeArgs: TypeNode[];
  nullable: boolean;
  /** Number of `[]` suffixes. */
  arrayRank: number;
}

export type LiteralType = 'string' | 'char' | 'int' | 'long' | 'double' | 'bool' | 'null';

export interface Literal extends Span {
  kind: 'Literal';
  type: LiteralType;
  value: string | number | boolean | null;
}

export type InterpolatedPart =
  | { kind: 'text'; value: string }
  | { kind: 'hole'; expr: Expr; alignment: Expr | undefined; format: string | undefined };

export interface InterpolatedString extends Span {
  kind: 'InterpolatedString';
  parts: InterpolatedPart[];
}

export interface Identifier extends Span {
  kind: 'Identifier';
  name: string;
  /** True for predefined type keywords used as expressions (`string` in string.Equals). */
  isTypeKeyword: boolean;
}

export interface MemberAccess extends Span {
  kind: 'MemberAccess';
  target: Expr;
  name: string;
  nameStart: number;
  /** Generic arguments written on the member (`As<JObject>`); empty when none. */
  typeArgs: TypeNode[];
}

export interface Argument extends Span {
  name: string | undefined;
  value: Expr;
  /** `out var x` / `out x` arguments (only int.TryParse-style calls use these). */
  out: { declare: TypeNode | 'var' | undefined } | undefined;
}

export interface Invocation extends Span {
  kind: 'Invocation';
  callee: Expr;
  args: Argument[];
}

export interface ElementAccess extends Span {
  kind: 'ElementAccess';
  target: Expr;
  args: Argument[];
}

/** `target?.rest`: evaluates `whenNotNull` with ConditionalReceiver bound to target's value. */
export interface ConditionalAccess extends Span {
  kind: 'ConditionalAccess';
  target: Expr;
  whenNotNull: Expr;
}

/** Stands for the already-evaluated left side of the nearest enclosing `?.`. */
export interface ConditionalReceiver extends Span {
  kind: 'ConditionalReceiver';
}

export type UnaryOp = '!' | '-' | '+' | '~';

export interface Unary extends Span {
  kind: 'Unary';
  op: UnaryOp;
  operand: Expr;
}

export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||' | '+' | '-' | '*' | '/' | '%' | '??' | '&' | '|' | '^';

export interface Binary extends Span {
  kind: 'Binary';
  op: BinaryOp;
  opStart: number;
  left: Expr;
  right: Expr;
}

export interface Conditional extends Span {
  kind: 'Conditional';
  test: Expr;
  whenTrue: Expr;
  whenFalse: Expr;
}

export interface Cast extends Span {
  kind: 'Cast';
  type: TypeNode;
  operand: Expr;
}

export interface AsExpr extends Span {
  kind: 'As';
  operand: Expr;
  type: TypeNode;
}

export interface IsExpr extends Span {
  kind: 'Is';
  operand: Expr;
  type: TypeNode;
}

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '??=';

export interface Assignment extends Span {
  kind: 'Assignment';
  op: AssignOp;
  target: Expr;
  value: Expr;
}

export interface Increment extends Span {
  kind: 'Increment';
  op: '++' | '--';
  prefix: boolean;
  operand: Expr;
}

export type Expr =
  | Literal
  | InterpolatedString
  | Identifier
  | MemberAccess
  | Invocation
  | ElementAccess
  | ConditionalAccess
  | ConditionalReceiver
  | Unary
  | Binary
  | Conditional
  | Cast
  | AsExpr
  | IsExpr
  | Assignment
  | Increment;

export interface Declarator extends Span {
  name: string;
  init: Expr | undefined;
}

export interface LocalDeclaration extends Span {
  kind: 'LocalDeclaration';
  /** 'var' for implicitly typed declarations. */
  type: TypeNode | 'var';
  declarators: Declarator[];
}

export interface ExpressionStatement extends Span {
  kind: 'ExpressionStatement';
  expr: Expr;
}

export interface IfStatement extends Span {
  kind: 'If';
  test: Expr;
  then: Statement;
  otherwise: Statement | undefined;
}

export interface ReturnStatement extends Span {
  kind: 'Return';
  value: Expr | undefined;
}

export interface Block extends Span {
  kind: 'Block';
  statements: Statement[];
}

export interface EmptyStatement extends Span {
  kind: 'Empty';
}

export type Statement = LocalDeclaration | ExpressionStatement | IfStatement | ReturnStatement | Block | EmptyStatement;

/** What an attribute value parses to: `@( expr )` or `@{ statements }`. */
export type ParsedPolicyExpression =
  | { kind: 'expression'; expr: Expr; text: string }
  | { kind: 'block'; body: Block; text: string };
