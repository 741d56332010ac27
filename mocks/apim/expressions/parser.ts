/**
 * Recursive-descent parser (precedence climbing for binary operators) for APIM policy
 * expressions. Hand-written instead of generated because the grammar is a small, fixed
 * subset of C# and we want exact positions and "expected X" messages; a generator would add
 * a dependency and blur both.
 *
 * C#'s two classic ambiguities are resolved the way Roslyn does:
 *  - `(T)x` is a cast when T is a predefined type (or nullable/array of one), or when the
 *    token after `)` can only start an operand (identifier, literal, `(`, `!`, `~`).
 *  - `Name<T>(` is a generic call when a type argument list parses and `(` follows it;
 *    otherwise `<` is less-than.
 */
import type {
  Argument,
  AssignOp,
  BinaryOp,
  Block,
  Declarator,
  Expr,
  InterpolatedPart,
  ParsedPolicyExpression,
  Statement,
  TypeNode,
} from './ast.ts';
import { ExpressionError } from './errors.ts';
import { tokenize } from './lexer.ts';
import type { Token } from './lexer.ts';

/** Predefined C# type keywords: `(int)x` is always a cast, and `int.Parse` a static access. */
const PREDEFINED_TYPES = new Set([
  'bool', 'byte', 'char', 'decimal', 'double', 'float', 'int', 'long', 'object', 'sbyte', 'short', 'string', 'uint', 'ulong', 'ushort',
]);

/** Binary operator precedence, higher binds tighter (C# spec §12.4.2). */
const BINARY_PRECEDENCE: Record<string, number> = {
  '??': 1,
  '||': 2,
  '&&': 3,
  '|': 4,
  '^': 5,
  '&': 6,
  '==': 7,
  '!=': 7,
  '<': 8,
  '>': 8,
  '<=': 8,
  '>=': 8,
  is: 8,
  as: 8,
  '+': 10,
  '-': 10,
  '*': 11,
  '/': 11,
  '%': 11,
};

const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '??=']);

const UNSUPPORTED_STATEMENTS = new Set(['for', 'foreach', 'while', 'do', 'switch', 'try', 'throw', 'using', 'break', 'continue', 'goto', 'lock']);

/** Is the trimmed attribute value a policy expression (`@(...)` or `@{...}`) rather than a literal? */
export function isExpressionText(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith('@(') || t.startsWith('@{');
}

export function parsePolicyExpression(text: string): ParsedPolicyExpression {
  const lead = text.length - text.trimStart().length;
  if (!isExpressionText(text)) {
    throw new ExpressionError("expected '@(' or '@{' at the start of a policy expression", text, lead);
  }
  const parser = new Parser(text, tokenize(text, lead + 2));
  if (text[lead + 1] === '(') {
    const expr = parser.parseExpression();
    parser.expectPunct(')');
    parser.expectEnd();
    return { kind: 'expression', expr, text };
  }
  const body = parser.parseBlockBody(lead + 1);
  parser.expectEnd();
  return { kind: 'block', body, text };
}

class Parser {
  readonly #text: string;
  readonly #tokens: Token[];
  #pos = 0;

  constructor(text: string, tokens: Token[]) {
    this.#text = text;
    this.#tokens = tokens;
  }

  // ---- token helpers ----

  #peek(ahead = 0): Token {
    const i = Math.min(this.#pos + ahead, this.#tokens.length - 1);
    return this.#tokens[i] as Token;
  }

  #next(): Token {
    const t = this.#peek();
    if (this.#pos < this.#tokens.length - 1) this.#pos++;
    return t;
  }

  #isPunct(symbol: string, ahead = 0): boolean {
    const t = this.#peek(ahead);
    return t.kind === 'punct' && t.text === symbol;
  }

  #isKeyword(word: string, ahead = 0): boolean {
    const t = this.#peek(ahead);
    return t.kind === 'keyword' && t.text === word;
  }

  #acceptPunct(symbol: string): boolean {
    if (this.#isPunct(symbol)) {
      this.#next();
      return true;
    }
    return false;
  }

  #fail(message: string, at: Token = this.#peek()): never {
    throw new ExpressionError(message, this.#text, at.start);
  }

  /** Message names what was expected and, to help, what was found instead. */
  #expected(what: string, at: Token = this.#peek()): never {
    const found = at.kind === 'eof' ? 'end of expression' : `'${at.text}'`;
    throw new ExpressionError(what, this.#text, at.start, found);
  }

  expectPunct(symbol: string, message = `expected '${symbol}'`): Token {
    if (!this.#isPunct(symbol)) this.#expected(message);
    return this.#next();
  }

  expectEnd(): void {
    const t = this.#peek();
    if (t.kind !== 'eof') this.#fail(`unexpected '${t.text}' after the end of the expression`, t);
    const rest = this.#text.slice(t.start);
    if (rest.trim() !== '') this.#fail('unexpected text after the end of the expression', t);
  }

  #identifier(what = 'expected an identifier'): Token {
    const t = this.#peek();
    if (t.kind !== 'identifier') {
      if (t.kind === 'keyword') this.#fail(`'${t.text}' is a keyword and cannot be used as a name`, t);
      this.#expected(what, t);
    }
    return this.#next();
  }

  // ---- statements ----

  /** Parses statements up to the closing '}' of a block whose '{' is at `openAt`. */
  parseBlockBody(openAt: number): Block {
    const statements: Statement[] = [];
    while (!this.#isPunct('}')) {
      if (this.#peek().kind === 'eof') this.#expected("expected '}'");
      statements.push(this.#parseStatement());
    }
    const close = this.#next();
    return { kind: 'Block', statements, start: openAt, end: close.end };
  }

  #parseStatement(): Statement {
    const t = this.#peek();
    if (this.#isPunct('{')) {
      this.#next();
      return this.parseBlockBody(t.start);
    }
    if (this.#isPunct(';')) {
      this.#next();
      return { kind: 'Empty', start: t.start, end: t.end };
    }
    if (t.kind === 'keyword') {
      if (t.text === 'if') return this.#parseIf();
      if (t.text === 'return') {
        this.#next();
        const value = this.#isPunct(';') ? undefined : this.parseExpression();
        const semi = this.expectPunct(';');
        return { kind: 'Return', value, start: t.start, end: semi.end };
      }
      if (t.text === 'else') this.#fail("'else' without a matching 'if'", t);
      if (UNSUPPORTED_STATEMENTS.has(t.text)) this.#fail(`'${t.text}' statements are not supported by this emulator`, t);
    }
    const declaration = this.#tryParseDeclaration();
    if (declaration !== undefined) return declaration;
    const expr = this.parseExpression();
    const semi = this.expectPunct(';');
    return { kind: 'ExpressionStatement', expr, start: t.start, end: semi.end };
  }

  #parseIf(): Statement {
    const start = this.#next().start;
    this.expectPunct('(');
    const test = this.parseExpression();
    this.expectPunct(')');
    const then = this.#parseEmbedded();
    let otherwise: Statement | undefined;
    if (this.#isKeyword('else')) {
      this.#next();
      otherwise = this.#parseEmbedded();
    }
    return { kind: 'If', test, then, otherwise, start, end: (otherwise ?? then).end };
  }

  /** The body of an if/else: C# forbids a bare declaration there. */
  #parseEmbedded(): Statement {
    const statement = this.#parseStatement();
    if (statement.kind === 'LocalDeclaration') {
      throw new ExpressionError('a declaration is not allowed here: wrap it in { }', this.#text, statement.start);
    }
    return statement;
  }

  /** `var x = e;`, `string x;`, `int a = 1, b = 2;` — or undefined if this is not a declaration. */
  #tryParseDeclaration(): Statement | undefined {
    const start = this.#pos;
    const first = this.#peek();
    let type: TypeNode | 'var' | undefined;
    if (first.kind === 'identifier' && first.text === 'var' && this.#peek(1).kind === 'identifier') {
      this.#next();
      type = 'var';
    } else {
      type = this.#tryParseType();
      if (type === undefined || this.#peek().kind !== 'identifier') {
        this.#pos = start;
        return undefined;
      }
      const after = this.#peek(1);
      if (!(after.kind === 'punct' && (after.text === '=' || after.text === ';' || after.text === ','))) {
        this.#pos = start;
        return undefined;
      }
    }
    const declarators: Declarator[] = [];
    do {
      const name = this.#identifier('expected a variable name');
      let init: Expr | undefined;
      if (this.#acceptPunct('=')) init = this.parseExpression();
      declarators.push({ name: name.text, init, start: name.start, end: init?.end ?? name.end });
    } while (this.#acceptPunct(','));
    const semi = this.expectPunct(';');
    return { kind: 'LocalDeclaration', type, declarators, start: first.start, end: semi.end };
  }

  // ---- types ----

  /** Parses a type if one starts here; restores the position and returns undefined otherwise. */
  #tryParseType(): TypeNode | undefined {
    const save = this.#pos;
    try {
      return this.#parseType();
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      this.#pos = save;
      return undefined;
    }
  }

  #parseType(): TypeNode {
    const first = this.#peek();
    let name: string;
    if (first.kind === 'keyword' && PREDEFINED_TYPES.has(first.text)) {
      this.#next();
      name = first.text;
    } else if (first.kind === 'identifier') {
      this.#next();
      name = first.text;
      while (this.#isPunct('.') && this.#peek(1).kind === 'identifier') {
        this.#next();
        name += `.${this.#next().text}`;
      }
    } else {
      this.#expected('expected a type');
    }
    const typeArgs: TypeNode[] = [];
    if (first.kind === 'identifier' && this.#isPunct('<')) {
      this.#next();
      do typeArgs.push(this.#parseType());
      while (this.#acceptPunct(','));
      this.expectPunct('>');
    }
    let end = this.#tokens[this.#pos - 1]?.end ?? first.end;
    let nullable = false;
    if (this.#isPunct('?')) {
      this.#next();
      nullable = true;
      end = this.#tokens[this.#pos - 1]?.end ?? end;
    }
    let arrayRank = 0;
    while (this.#isPunct('[') && this.#isPunct(']', 1)) {
      this.#next();
      end = this.#next().end;
      arrayRank++;
    }
    return { kind: 'Type', name, typeArgs, nullable, arrayRank, start: first.start, end };
  }

  // ---- expressions ----

  parseExpression(): Expr {
    return this.#parseAssignment();
  }

  #parseAssignment(): Expr {
    const left = this.#parseConditional();
    const t = this.#peek();
    if (t.kind === 'punct' && ASSIGN_OPS.has(t.text)) {
      this.#next();
      const value = this.#parseAssignment();
      return { kind: 'Assignment', op: t.text as AssignOp, target: left, value, start: left.start, end: value.end };
    }
    if (this.#isPunct('=>')) this.#fail('lambda expressions are not supported by this emulator');
    return left;
  }

  #parseConditional(): Expr {
    const test = this.#parseBinary(1);
    if (!this.#isPunct('?')) return test;
    this.#next();
    const whenTrue = this.#parseAssignment();
    this.expectPunct(':');
    const whenFalse = this.#parseAssignment();
    return { kind: 'Conditional', test, whenTrue, whenFalse, start: test.start, end: whenFalse.end };
  }

  #binaryOperatorHere(): { op: string; precedence: number } | undefined {
    const t = this.#peek();
    if (t.kind === 'punct' && t.text in BINARY_PRECEDENCE) return { op: t.text, precedence: BINARY_PRECEDENCE[t.text] as number };
    if (t.kind === 'keyword' && (t.text === 'is' || t.text === 'as')) return { op: t.text, precedence: 8 };
    if (t.kind === 'punct' && t.text === '<<') this.#fail('shift operators are not supported by this emulator', t);
    if (t.kind === 'punct' && t.text === '>' && this.#isPunct('>', 1) && this.#peek(1).start === t.end) {
      this.#fail('shift operators are not supported by this emulator', t);
    }
    return undefined;
  }

  #parseBinary(minPrecedence: number): Expr {
    let left = this.#parseUnary();
    for (;;) {
      const found = this.#binaryOperatorHere();
      if (found === undefined || found.precedence < minPrecedence) return left;
      const opToken = this.#next();
      if (found.op === 'is' || found.op === 'as') {
        const type = this.#parseType();
        left = { kind: found.op === 'is' ? 'Is' : 'As', operand: left, type, start: left.start, end: type.end };
        continue;
      }
      // '??' is right-associative; everything else here is left-associative.
      const right = found.op === '??' ? this.#parseBinary(found.precedence) : this.#parseBinary(found.precedence + 1);
      left = { kind: 'Binary', op: found.op as BinaryOp, opStart: opToken.start, left, right, start: left.start, end: right.end };
    }
  }

  #parseUnary(): Expr {
    const t = this.#peek();
    if (t.kind === 'punct') {
      if (t.text === '!' || t.text === '-' || t.text === '+' || t.text === '~') {
        this.#next();
        const operand = this.#parseUnary();
        return { kind: 'Unary', op: t.text, operand, start: t.start, end: operand.end };
      }
      if (t.text === '++' || t.text === '--') {
        this.#next();
        const operand = this.#parseUnary();
        return { kind: 'Increment', op: t.text, prefix: true, operand, start: t.start, end: operand.end };
      }
      if (t.text === '(') {
        const cast = this.#tryParseCast();
        if (cast !== undefined) return cast;
      }
    }
    return this.#parsePostfix(this.#parsePrimary());
  }

  #tryParseCast(): Expr | undefined {
    const save = this.#pos;
    const open = this.#next();
    const type = this.#tryParseType();
    if (type === undefined || !this.#isPunct(')')) {
      this.#pos = save;
      return undefined;
    }
    this.#next();
    const predefined = PREDEFINED_TYPES.has(type.name);
    const after = this.#peek();
    const startsOperand =
      after.kind === 'identifier' ||
      after.kind === 'int' ||
      after.kind === 'real' ||
      after.kind === 'string' ||
      after.kind === 'char' ||
      after.kind === 'interpolated' ||
      (after.kind === 'keyword' && !(after.text === 'is' || after.text === 'as')) ||
      (after.kind === 'punct' && (after.text === '(' || after.text === '!' || after.text === '~'));
    const operandFollows = startsOperand || (predefined && after.kind === 'punct' && (after.text === '-' || after.text === '+' || after.text === '++' || after.text === '--'));
    if (!operandFollows) {
      this.#pos = save;
      return undefined;
    }
    const operand = this.#parseUnary();
    return { kind: 'Cast', type, operand, start: open.start, end: operand.end };
  }

  #parsePrimary(): Expr {
    const t = this.#peek();
    switch (t.kind) {
      case 'int':
        this.#next();
        return { kind: 'Literal', type: t.isLong === true ? 'long' : 'int', value: t.value as number, start: t.start, end: t.end };
      case 'real':
        this.#next();
        return { kind: 'Literal', type: 'double', value: t.value as number, start: t.start, end: t.end };
      case 'string':
        this.#next();
        return { kind: 'Literal', type: 'string', value: t.value as string, start: t.start, end: t.end };
      case 'char':
        this.#next();
        return { kind: 'Literal', type: 'char', value: t.value as string, start: t.start, end: t.end };
      case 'interpolated':
        this.#next();
        return this.#interpolated(t);
      case 'identifier':
        this.#next();
        return { kind: 'Identifier', name: t.text, isTypeKeyword: false, start: t.start, end: t.end };
      case 'keyword':
        if (t.text === 'true' || t.text === 'false') {
          this.#next();
          return { kind: 'Literal', type: 'bool', value: t.text === 'true', start: t.start, end: t.end };
        }
        if (t.text === 'null') {
          this.#next();
          return { kind: 'Literal', type: 'null', value: null, start: t.start, end: t.end };
        }
        if (PREDEFINED_TYPES.has(t.text)) {
          this.#next();
          return { kind: 'Identifier', name: t.text, isTypeKeyword: true, start: t.start, end: t.end };
        }
        if (t.text === 'new') this.#fail("'new' expressions are not supported by this emulator", t);
        if (t.text === 'typeof' || t.text === 'default' || t.text === 'checked' || t.text === 'unchecked' || t.text === 'this' || t.text === 'base') {
          this.#fail(`'${t.text}' is not supported by this emulator`, t);
        }
        return this.#expected('expected an expression', t);
      case 'punct':
        if (t.text === '(') {
          this.#next();
          const inner = this.parseExpression();
          this.expectPunct(')');
          return inner;
        }
        return this.#expected('expected an expression', t);
      default:
        return this.#expected('expected an expression', t);
    }
  }

  #interpolated(token: Token): Expr {
    const parts: InterpolatedPart[] = [];
    for (const part of token.parts ?? []) {
      if (part.kind === 'text') {
        parts.push(part);
        continue;
      }
      const expr = this.#subExpression(part.start, part.end, 'expected an expression in the interpolation hole');
      const alignment = part.alignment === undefined ? undefined : this.#subExpression(part.alignment.start, part.alignment.end, 'expected an alignment');
      parts.push({ kind: 'hole', expr, alignment, format: part.format });
    }
    return { kind: 'InterpolatedString', parts, start: token.start, end: token.end };
  }

  /** Parses text[start, end) as one complete expression (an interpolation hole). */
  #subExpression(start: number, end: number, emptyMessage: string): Expr {
    const tokens = tokenize(this.#text, start, end);
    if (tokens.length === 1) throw new ExpressionError(emptyMessage, this.#text, start);
    const sub = new Parser(this.#text, tokens);
    const expr = sub.parseExpression();
    const rest = sub.#peek();
    if (rest.kind !== 'eof') sub.#fail(`unexpected '${rest.text}' in the interpolation hole`, rest);
    return expr;
  }

  /**
   * Member access, calls, indexers, `!` is not C# 7, postfix ++/--. A `?.` or `?[` wraps the
   * rest of the chain in a ConditionalAccess so that `a?.b.c` skips `.c` too when a is null.
   */
  #parsePostfix(expr: Expr): Expr {
    for (;;) {
      const t = this.#peek();
      if (t.kind !== 'punct') return expr;
      if (t.text === '.') {
        this.#next();
        expr = this.#memberAfterDot(expr);
      } else if (t.text === '(') {
        this.#next();
        const args = this.#arguments(')');
        const close = this.#next();
        expr = { kind: 'Invocation', callee: expr, args, start: expr.start, end: close.end };
      } else if (t.text === '[') {
        this.#next();
        const args = this.#arguments(']');
        if (args.length === 0) this.#fail('expected an index inside [ ]', this.#peek());
        const close = this.#next();
        expr = { kind: 'ElementAccess', target: expr, args, start: expr.start, end: close.end };
      } else if (t.text === '?.' || (t.text === '?' && this.#isPunct('[', 1) && this.#peek(1).start === t.end)) {
        this.#next();
        const receiver: Expr = { kind: 'ConditionalReceiver', start: expr.start, end: t.end };
        let rest: Expr;
        if (t.text === '?.') {
          rest = this.#memberAfterDot(receiver);
        } else {
          this.#next();
          const args = this.#arguments(']');
          const close = this.#next();
          rest = { kind: 'ElementAccess', target: receiver, args, start: receiver.start, end: close.end };
        }
        const whenNotNull = this.#parsePostfix(rest);
        return { kind: 'ConditionalAccess', target: expr, whenNotNull, start: expr.start, end: whenNotNull.end };
      } else if (t.text === '++' || t.text === '--') {
        this.#next();
        expr = { kind: 'Increment', op: t.text, prefix: false, operand: expr, start: expr.start, end: t.end };
      } else {
        return expr;
      }
    }
  }

  #memberAfterDot(target: Expr): Expr {
    const name = this.#peek();
    if (name.kind !== 'identifier') {
      if (name.kind === 'keyword') this.#fail(`'${name.text}' is a keyword and cannot be a member name`, name);
      this.#expected('expected a member name after \'.\'', name);
    }
    this.#next();
    const typeArgs = this.#tryTypeArgumentsBeforeCall();
    return {
      kind: 'MemberAccess',
      target,
      name: name.text,
      nameStart: name.start,
      typeArgs,
      start: target.start,
      end: this.#tokens[this.#pos - 1]?.end ?? name.end,
    };
  }

  /** `<T, U>` directly followed by `(`: a generic method's type arguments. Otherwise nothing. */
  #tryTypeArgumentsBeforeCall(): TypeNode[] {
    if (!this.#isPunct('<')) return [];
    const save = this.#pos;
    this.#next();
    const args: TypeNode[] = [];
    try {
      do args.push(this.#parseType());
      while (this.#acceptPunct(','));
      if (this.#isPunct('>') && this.#isPunct('(', 1)) {
        this.#next();
        return args;
      }
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
    }
    this.#pos = save;
    return [];
  }

  /** Arguments up to (not including) the closing symbol. */
  #arguments(close: ')' | ']'): Argument[] {
    const args: Argument[] = [];
    if (this.#isPunct(close)) return args;
    for (;;) {
      const start = this.#peek();
      let name: string | undefined;
      if (start.kind === 'identifier' && this.#isPunct(':', 1)) {
        name = start.text;
        this.#next();
        this.#next();
      }
      if (this.#isKeyword('ref') || this.#isKeyword('in')) this.#fail(`'${this.#peek().text}' arguments are not supported by this emulator`);
      if (this.#isKeyword('out')) {
        const outToken = this.#next();
        let declare: TypeNode | 'var' | undefined;
        const maybeVar = this.#peek();
        if (maybeVar.kind === 'identifier' && maybeVar.text === 'var' && this.#peek(1).kind === 'identifier') {
          this.#next();
          declare = 'var';
        } else if (!(maybeVar.kind === 'identifier' && (this.#isPunct(')', 1) || this.#isPunct(',', 1)))) {
          declare = this.#parseType();
        }
        const variable = this.#identifier('expected a variable name after \'out\'');
        const value: Expr = { kind: 'Identifier', name: variable.text, isTypeKeyword: false, start: variable.start, end: variable.end };
        args.push({ name, value, out: { declare }, start: outToken.start, end: variable.end });
      } else {
        const value = this.parseExpression();
        args.push({ name, value, out: undefined, start: start.start, end: value.end });
      }
      if (this.#acceptPunct(',')) continue;
      if (!this.#isPunct(close)) this.#expected(`expected '${close}'`);
      return args;
    }
  }
}
