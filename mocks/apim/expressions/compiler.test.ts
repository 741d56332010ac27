/**
 * Load-time checks: what the C# compiler behind APIM would refuse, the emulator refuses when
 * the policy is loaded, naming the member or type at its exact position.
 */
import { describe, expect, it } from 'vitest';
import { ExpressionError } from './errors.ts';
import { compileExpression } from './index.ts';

function compileError(text: string): ExpressionError {
  try {
    compileExpression(text);
  } catch (e) {
    if (e instanceof ExpressionError) return e;
    throw e;
  }
  throw new Error(`expected a compile error for ${text}`);
}

const typeOf = (text: string): string => compileExpression(text).resultType;

describe('static types of results', () => {
  it('infers the C# type of common expressions', () => {
    expect(typeOf('@(context.Response.StatusCode == 429)')).toBe('bool');
    expect(typeOf('@(context.Request.Headers.GetValueOrDefault("X-Priority", "medium"))')).toBe('string');
    expect(typeOf('@(context.Request.Body.As<JObject>(preserveContent: true))')).toBe('JObject');
    expect(typeOf('@(context.Request.Body.As<JObject>(true)["model"])')).toBe('JToken');
    expect(typeOf('@((bool?)context.Request.Body.As<JObject>(true)["stream"])')).toBe('bool?');
    expect(typeOf('@(context.Elapsed.TotalMilliseconds)')).toBe('double');
    expect(typeOf('@(7 / 2)')).toBe('int');
    expect(typeOf('@(7 / 2.0)')).toBe('double');
    expect(typeOf('@(1 + 2L)')).toBe('long');
    expect(typeOf('@(context.Variables["x"])')).toBe('object');
  });

  it('makes a value-typed member nullable behind ?.', () => {
    expect(typeOf('@(context.Request.Body?.As<string>().Length)')).toBe('int?');
    expect(typeOf('@(context.Request.Body.As<JObject>(true)["stream"]?.Value<bool>())')).toBe('bool?');
  });

  it('gives T for T? ?? T, so a nullable flag with a default is a plain bool', () => {
    expect(typeOf('@((bool?)context.Request.Body.As<JObject>(true)["stream"] ?? false)')).toBe('bool');
  });

  it('infers GetValueOrDefault<T> from the default value when T is not written', () => {
    expect(typeOf('@(context.Variables.GetValueOrDefault("n", 5))')).toBe('int');
    expect(typeOf('@(context.Variables.GetValueOrDefault("n"))')).toBe('object');
  });

  it('types a block by its return statements (object when they differ)', () => {
    expect(typeOf('@{ if (true) { return "a"; } return "b"; }')).toBe('string');
    expect(typeOf('@{ if (context.Request.Method == "GET") { return 1; } return "b"; }')).toBe('object');
  });
});

describe('unknown names and members are load-time errors', () => {
  it('names a misspelled context member, with a suggestion, at its position', () => {
    const e = compileError('@(context.Reqest.Method)');
    expect(e.reason).toBe("'IContext' does not contain a definition for 'Reqest' (did you mean 'Request'?)");
    expect(e.offset).toBe('@(context.'.length);
    expect([e.line, e.column]).toEqual([1, 11]);
  });

  it('names an unknown method on the headers dictionary', () => {
    const e = compileError('@(context.Request.Headers.Foo())');
    expect(e.message).toBe("'IReadOnlyDictionary<string, string[]>' does not contain a definition for 'Foo' at 1:27");
  });

  it('rejects the bare StatusCode form and points to context.Response.StatusCode', () => {
    const e = compileError('@(StatusCode==429||StatusCode==503)');
    expect(e.reason).toMatch(/^the name 'StatusCode' does not exist in the current context/);
    expect(e.reason).toMatch(/did you mean 'context\.Response\.StatusCode'\?/);
    expect(e.offset).toBe(2);
  });

  it('rejects unknown names, types and static members', () => {
    expect(compileError('@(ctx.Request)').reason).toBe("the name 'ctx' does not exist in the current context");
    expect(compileError('@((Foo)context.Variables["x"])').reason).toBe("the type or namespace name 'Foo' could not be found");
    expect(compileError('@(Math.Maximum(1, 2))').reason).toBe("'Math' does not contain a definition for 'Maximum' (did you mean 'Max'?)");
    expect(compileError('@(StringComparison.IgnoreCase)').reason).toMatch(/'StringComparison' does not contain a definition for 'IgnoreCase'/);
  });

  it('says "not supported by this emulator" for real APIM members and types it lacks', () => {
    expect(compileError('@(context.Request.Certificate)').reason).toBe("'IRequest.Certificate' is not supported by this emulator");
    expect(compileError('@(Regex.IsMatch("a", "a"))').reason).toBe("the type 'Regex' is not supported by this emulator");
    expect(compileError('@(context.Request.Body.As<XElement>())').reason).toBe("the type 'XElement' is not supported by this emulator");
  });

  it('distinguishes methods from properties', () => {
    expect(compileError('@(context.Request.Method())').reason).toBe("'Method' is a property, not a method: remove the '()'");
    expect(compileError('@("abc".ToUpper)').reason).toBe("'ToUpper' is a method: call it with '()'");
  });

  it('distinguishes static from instance members', () => {
    expect(compileError('@("a".IsNullOrEmpty())').reason).toMatch(/'string.IsNullOrEmpty' is static/);
    expect(compileError('@(string.ToUpper())').reason).toMatch(/'string.ToUpper' is an instance member/);
  });

  it('rejects a type used as a value', () => {
    expect(compileError('@(Math)').reason).toBe("'Math' is a type, which is not valid in the given context");
  });
});

describe('overload resolution', () => {
  it('reports wrong argument counts and types', () => {
    expect(compileError('@("x".Substring(1, 2, 3))').reason).toBe("no overload for 'string.Substring' takes 3 arguments");
    const e = compileError('@("x".Substring("a"))');
    expect(e.reason).toBe("argument 1: cannot convert from 'string' to 'int'");
    expect(e.offset).toBe('@("x".Substring('.length);
  });

  it('checks named arguments against parameter names', () => {
    expect(compileError('@(context.Request.Body.As<JObject>(preserve: true))').reason).toBe("'preserve' is not a parameter of this method");
    expect(typeOf('@(context.Request.Headers.GetValueOrDefault(headerName: "a", defaultValue: "b"))')).toBe('string');
  });

  it('rejects type arguments that the method does not allow', () => {
    expect(compileError('@(context.Request.Body.As<int>())').reason).toMatch(/As<T>\(\) cannot read a body as 'int'/);
    expect(compileError('@(context.Request.Body.As<JObject>(true).Value<DateTime>("x"))').reason).toMatch(/Value<T> supports T = string, bool/);
  });

  it('asks for type arguments it cannot infer', () => {
    expect(compileError('@(context.Request.Body.As(true))').reason).toMatch(/type arguments for method 'IMessageBody.As' cannot be inferred/);
  });

  it('picks the best numeric overload', () => {
    expect(typeOf('@(Math.Max(1, 2))')).toBe('int');
    expect(typeOf('@(Math.Max(1, 2.5))')).toBe('double');
    expect(typeOf('@(Math.Max(1L, 2))')).toBe('long');
  });
});

describe('operators are type-checked like C#', () => {
  it('rejects comparing a JToken with a string (no implicit reference relation)', () => {
    const e = compileError('@(context.Request.Body.As<JObject>(true)["model"] == "gpt-4o")');
    expect(e.reason).toBe("operator '==' cannot be applied to operands of type 'JToken' and 'string'");
  });

  it('rejects a bool? condition and bool? in &&', () => {
    expect(compileError('@{ bool? b = true; if (b) { return 1; } return 0; }').reason).toBe(
      "cannot implicitly convert type 'bool?' to 'bool'. An explicit conversion exists (are you missing a cast?)",
    );
    expect(compileError('@((bool?)true && true)').reason).toBe("operator '&&' cannot be applied to operands of type 'bool?' and 'bool'");
  });

  it('rejects ordering strings and arithmetic on bools', () => {
    expect(compileError('@("a" < "b")').reason).toBe("operator '<' cannot be applied to operands of type 'string' and 'string'");
    expect(compileError('@(true + 1)').reason).toBe("operator '+' cannot be applied to operands of type 'bool' and 'int'");
  });

  it('rejects a conditional whose branches have no common type (C# 7 rules)', () => {
    expect(compileError('@(true ? 1 : null)').reason).toMatch(/no implicit conversion between 'int' and '<null>'/);
    expect(compileError('@(true ? 1 : "a")').reason).toMatch(/between 'int' and 'string'/);
  });

  it('rejects ?? on a non-nullable value type and ?. on one', () => {
    expect(compileError('@(1 ?? 2)').reason).toBe("operator '??' cannot be applied to operands of type 'int' and 'int'");
    expect(compileError('@(context.Response.StatusCode?.ToString())').reason).toBe("operator '?' cannot be applied to operand of type 'int'");
  });

  it('rejects impossible casts', () => {
    expect(compileError('@((int)"5")').reason).toBe("cannot convert type 'string' to 'int'");
    expect(compileError('@((bool)1)').reason).toBe("cannot convert type 'int' to 'bool'");
    expect(compileError('@((string)context.Response.StatusCode)').reason).toBe("cannot convert type 'int' to 'string'");
  });

  it('rejects a literal division by zero', () => {
    expect(compileError('@(10 / 0)').reason).toBe('division by constant zero');
  });

  it('rejects as with a non-nullable value type', () => {
    expect(compileError('@(context.Variables["x"] as int)').reason).toMatch(/as operator must be used with a reference type or nullable type/);
  });
});

describe('statement blocks', () => {
  it('requires every path to return', () => {
    const e = compileError('@{ if (context.Request.Method == "GET") { return 1; } }');
    expect(e.reason).toMatch(/^not all code paths return a value/);
    expect(compileError('@{ var x = 1; }').reason).toMatch(/not all code paths return a value/);
  });

  it('treats if (true) as always taken, like C# reachability', () => {
    expect(typeOf('@{ if (true) { return 1; } }')).toBe('int');
    expect(compileError('@{ if (false) { return 1; } }').reason).toMatch(/not all code paths/);
  });

  it('requires a value on return', () => {
    expect(compileError('@{ return; }').reason).toMatch(/must return a value/);
  });

  it('checks declarations', () => {
    expect(compileError('@{ var x = null; return x; }').reason).toBe('cannot assign <null> to an implicitly-typed variable');
    expect(compileError('@{ var x; return 1; }').reason).toBe('implicitly-typed variables must be initialized');
    expect(compileError('@{ int n = "a"; return n; }').reason).toBe("cannot implicitly convert type 'string' to 'int'");
    expect(compileError('@{ var x = 1; var x = 2; return x; }').reason).toBe("a local variable named 'x' is already defined in this scope");
    expect(compileError('@{ var x = 1; { var x = 2; } return x; }').reason).toBe("a local variable named 'x' is already defined in this scope");
    expect(compileError('@{ var context = 1; return context; }').reason).toMatch(/would hide the context variable/);
  });

  it('scopes locals to their block', () => {
    expect(compileError('@{ if (true) { var y = 1; } return y; }').reason).toBe("the name 'y' does not exist in the current context");
  });

  it('allows only assignment, call and increment as statements', () => {
    expect(compileError('@{ 1 + 2; return 1; }').reason).toMatch(/only assignment, call, increment and decrement/);
  });

  it('keeps the context read-only', () => {
    expect(compileError('@{ context = null; return 1; }').reason).toBe("'context' is read-only and cannot be assigned");
    expect(compileError('@(context.Request.Method = "GET")').reason).toMatch(/only local variables can be assigned/);
    expect(compileError('@{ var b = context.Request.Body.As<JObject>(true); b["x"] = "y"; return b; }').reason).toMatch(/only local variables can be assigned/);
  });

  it('rejects C# 8 syntax APIM (C# 7) would not accept', () => {
    expect(compileError('@{ string s = null; s ??= "x"; return s; }').reason).toMatch(/requires C# 8/);
  });

  it('reports positions on the right line of a multi-line block', () => {
    const e = compileError('@{\n  var body = context.Request.Body.As<JObject>(preserveContent: true);\n  return body.Model;\n}');
    expect([e.line, e.column]).toEqual([3, 15]);
    expect(e.reason).toBe("'JObject' does not contain a definition for 'Model'");
  });
});
