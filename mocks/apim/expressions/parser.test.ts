import { describe, expect, it } from 'vitest';
import type { Expr } from './ast.ts';
import { ExpressionError } from './errors.ts';
import { isExpressionText, parsePolicyExpression } from './parser.ts';

function expr(text: string): Expr {
  const parsed = parsePolicyExpression(text);
  if (parsed.kind !== 'expression') throw new Error('expected an expression');
  return parsed.expr;
}

/** A compact rendering of the tree, to assert on structure and precedence. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'Literal':
      return JSON.stringify(e.value);
    case 'Identifier':
      return e.name;
    case 'MemberAccess':
      return `${show(e.target)}.${e.name}${e.typeArgs.length > 0 ? `<${e.typeArgs.map((t) => t.name + (t.nullable ? '?' : '')).join(',')}>` : ''}`;
    case 'Invocation':
      return `${show(e.callee)}(${e.args.map((a) => (a.name === undefined ? '' : `${a.name}: `) + (a.out === undefined ? '' : 'out ') + show(a.value)).join(', ')})`;
    case 'ElementAccess':
      return `${show(e.target)}[${e.args.map((a) => show(a.value)).join(', ')}]`;
    case 'ConditionalAccess':
      return `(${show(e.target)} ?-> ${show(e.whenNotNull)})`;
    case 'ConditionalReceiver':
      return '_';
    case 'Unary':
      return `(${e.op}${show(e.operand)})`;
    case 'Binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'Conditional':
      return `(${show(e.test)} ? ${show(e.whenTrue)} : ${show(e.whenFalse)})`;
    case 'Cast':
      return `((${e.type.name}${e.type.nullable ? '?' : ''})${show(e.operand)})`;
    case 'As':
      return `(${show(e.operand)} as ${e.type.name})`;
    case 'Is':
      return `(${show(e.operand)} is ${e.type.name})`;
    case 'Assignment':
      return `(${show(e.target)} ${e.op} ${show(e.value)})`;
    case 'Increment':
      return e.prefix ? `(${e.op}${show(e.operand)})` : `(${show(e.operand)}${e.op})`;
    case 'InterpolatedString':
      return `$[${e.parts.map((p) => (p.kind === 'text' ? JSON.stringify(p.value) : `{${show(p.expr)}${p.format === undefined ? '' : `:${p.format}`}}`)).join(' ')}]`;
  }
}

function parseError(text: string): ExpressionError {
  try {
    parsePolicyExpression(text);
  } catch (e) {
    if (e instanceof ExpressionError) return e;
    throw e;
  }
  throw new Error(`expected a parse error for ${text}`);
}

describe('isExpressionText', () => {
  it('recognises @( and @{ after optional leading whitespace, and nothing else', () => {
    expect(isExpressionText('@(true)')).toBe(true);
    expect(isExpressionText('  @{ return 1; }')).toBe(true);
    expect(isExpressionText('medium')).toBe(false);
    expect(isExpressionText('email@example.com')).toBe(false);
    expect(isExpressionText('@ (x)')).toBe(false);
  });
});

describe('parsePolicyExpression: precedence and associativity', () => {
  it('binds * over + over comparison over && over || over ?? over ?:', () => {
    expect(show(expr('@(a || b && c == d + e * f)'))).toBe('(a || (b && (c == (d + (e * f)))))');
    expect(show(expr('@(a ?? b ? c : d)'))).toBe('((a ?? b) ? c : d)');
  });

  it('makes ?? and ?: right-associative, arithmetic left-associative', () => {
    expect(show(expr('@(a ?? b ?? c)'))).toBe('(a ?? (b ?? c))');
    expect(show(expr('@(a ? b : c ? d : e)'))).toBe('(a ? b : (c ? d : e))');
    expect(show(expr('@(a - b - c)'))).toBe('((a - b) - c)');
  });

  it('parses unary operators tighter than binary ones', () => {
    expect(show(expr('@(!a && -b < c)'))).toBe('((!a) && ((-b) < c))');
  });
});

describe('parsePolicyExpression: casts and generics', () => {
  it('treats (predefined type) as a cast, including nullable types', () => {
    expect(show(expr('@((string)context.Variables["x"])'))).toBe('((string)context.Variables["x"])');
    expect(show(expr('@((bool?)body["stream"])'))).toBe('((bool?)body["stream"])');
    expect(show(expr('@((int)-1)'))).toBe('((int)(-1))');
  });

  it('treats (Name)x as a cast but (a) - b as a subtraction', () => {
    expect(show(expr('@((JObject)v)'))).toBe('((JObject)v)');
    expect(show(expr('@((a) - b)'))).toBe('(a - b)');
    expect(show(expr('@((a).B)'))).toBe('a.B');
  });

  it('reads Name<T>( as a generic call and a < b > c as comparisons', () => {
    expect(show(expr('@(x.As<JObject>(preserveContent: true))'))).toBe('x.As<JObject>(preserveContent: true)');
    expect(show(expr('@(v.GetValueOrDefault<bool?>("s"))'))).toBe('v.GetValueOrDefault<bool?>("s")');
    expect(show(expr('@(a.B < c && d > e)'))).toBe('((a.B < c) && (d > e))');
  });

  it('parses is and as', () => {
    expect(show(expr('@(x as string ?? "d")'))).toBe('((x as string) ?? "d")');
    expect(show(expr('@(x is string && y)'))).toBe('((x is string) && y)');
  });
});

describe('parsePolicyExpression: null-conditional chains', () => {
  it('wraps the rest of the chain so a?.b.c skips .c too', () => {
    expect(show(expr('@(a?.b.c)'))).toBe('(a ?-> _.b.c)');
    expect(show(expr('@(a?.b?.c)'))).toBe('(a ?-> (_.b ?-> _.c))');
    expect(show(expr('@(body["model"]?.ToString() ?? "unknown")'))).toBe('((body["model"] ?-> _.ToString()) ?? "unknown")');
  });

  it('parses ?[ as a conditional element access', () => {
    expect(show(expr('@(a?["k"])'))).toBe('(a ?-> _["k"])');
  });
});

describe('parsePolicyExpression: literals and interpolation', () => {
  it('parses interpolation holes, formats and escaped braces', () => {
    expect(show(expr('@($"{a} and {b.C:F2} {{x}}")'))).toBe('$[{a} " and " {b.C:F2} " {x}"]');
  });

  it('positions nodes inside holes at their absolute offsets', () => {
    const e = expr('@($"x{abc}")');
    if (e.kind !== 'InterpolatedString' || e.parts[1]?.kind !== 'hole') throw new Error('shape');
    expect(e.parts[1].expr.start).toBe(6);
  });

  it('reports errors inside holes at their absolute offsets', () => {
    const e = parseError('@($"x{a +}")');
    expect(e.offset).toBe(9);
  });
});

describe('parsePolicyExpression: blocks', () => {
  it('parses declarations, if/else-if/else and returns', () => {
    const parsed = parsePolicyExpression(`@{
      var body = context.Request.Body.As<JObject>(preserveContent: true);
      string model = (string)body["model"];
      int n = 1, m = 2;
      if (model == null) { return "none"; } else if (n > m) return "n"; else { return model; }
    }`);
    if (parsed.kind !== 'block') throw new Error('shape');
    expect(parsed.body.statements.map((s) => s.kind)).toEqual(['LocalDeclaration', 'LocalDeclaration', 'LocalDeclaration', 'If']);
    const decl = parsed.body.statements[2];
    expect(decl?.kind === 'LocalDeclaration' && decl.declarators.map((d) => d.name)).toEqual(['n', 'm']);
  });

  it('distinguishes a declaration from an expression statement that starts with a name', () => {
    const parsed = parsePolicyExpression('@{ x = 1; x++; int? y = null; return x; }');
    if (parsed.kind !== 'block') throw new Error('shape');
    expect(parsed.body.statements.map((s) => s.kind)).toEqual(['ExpressionStatement', 'ExpressionStatement', 'LocalDeclaration', 'Return']);
  });

  it('parses out var arguments', () => {
    const parsed = parsePolicyExpression('@{ if (int.TryParse(s, out var n)) { return n; } return 0; }');
    if (parsed.kind !== 'block' || parsed.body.statements[0]?.kind !== 'If') throw new Error('shape');
    expect(show(parsed.body.statements[0].test)).toBe('int.TryParse(s, out n)');
  });
});

describe('parsePolicyExpression: errors', () => {
  it('names the expected token with line and column', () => {
    const e = parseError('@(context.Request.Method');
    expect(e.reason).toBe("expected ')'");
    expect(e.message).toBe("expected ')' at 1:25, found end of expression");
    expect([e.offset, e.line, e.column]).toEqual([24, 1, 25]);
    expect(e.text).toBe('@(context.Request.Method');
  });

  it('counts lines and columns across a multi-line block', () => {
    const e = parseError('@{\n  var x = 1;\n  return x\n}');
    expect(e.reason).toBe("expected ';'");
    expect([e.line, e.column]).toEqual([4, 1]);
    expect(e.excerpt()).toBe('}\n^');
  });

  it('rejects text after the closing parenthesis', () => {
    expect(parseError('@(1) + 2').message).toBe("unexpected '+' after the end of the expression at 1:6");
  });

  it('requires the @( or @{ wrapper', () => {
    expect(parseError('context.Request.Method').message).toMatch(/expected '@\(' or '@\{'/);
  });

  it('reports unsupported syntax as such', () => {
    expect(parseError('@(new JObject())').message).toMatch(/'new' expressions are not supported/);
    expect(parseError('@(x.Any(h => h))').message).toMatch(/lambda expressions are not supported/);
    expect(parseError('@{ foreach (var h in x) { } return 1; }').message).toMatch(/'foreach' statements are not supported/);
    expect(parseError('@(1 << 2)').message).toMatch(/shift operators are not supported/);
  });

  it('rejects a declaration as the body of an if', () => {
    expect(parseError('@{ if (a) var x = 1; return 1; }').message).toMatch(/declaration is not allowed here/);
  });

  it('rejects a dangling else and a missing expression', () => {
    expect(parseError('@{ else { } }').message).toMatch(/'else' without a matching 'if'/);
    expect(parseError('@(1 + )').message).toBe("expected an expression at 1:7, found ')'");
  });
});
