import { describe, expect, it } from 'vitest';
import { ClrGuid, ExpressionError, JObject, compileExpression, formatValue, isExpression } from './index.ts';
import { testContext } from './test-support.ts';

describe('isExpression', () => {
  it('tells expression attribute values from literals', () => {
    expect(isExpression('@(context.Subscription.Id)')).toBe(true);
    expect(isExpression('@{ return 1; }')).toBe(true);
    expect(isExpression('\n    @(1)\n  ')).toBe(true);
    expect(isExpression('30')).toBe(false);
    expect(isExpression('Bearer @(x)')).toBe(false);
  });
});

describe('compileExpression', () => {
  it('compiles once and evaluates against many contexts', () => {
    const e = compileExpression('@(context.Request.Headers.GetValueOrDefault("X-Priority", "medium") == "high")');
    expect(e.text).toBe('@(context.Request.Headers.GetValueOrDefault("X-Priority", "medium") == "high")');
    expect(e.kind).toBe('expression');
    expect(e.resultType).toBe('bool');
    expect(e.evaluate(testContext({ headers: { 'X-Priority': 'high' } }))).toBe(true);
    expect(e.evaluate(testContext({ headers: { 'X-Priority': 'low' } }))).toBe(false);
  });

  it('does not consult the text again after compiling', () => {
    let text = '@(context.Request.Method)';
    const e = compileExpression(text);
    text = '@(1)';
    expect(e.evaluate(testContext())).toBe('POST');
    expect(text).toBe('@(1)');
  });

  it('accepts leading and trailing whitespace around the expression', () => {
    expect(compileExpression('\n  @(1 + 1)\n').evaluate(testContext())).toBe(2);
  });

  it('enforces the requested kind', () => {
    expect(compileExpression('@(1)', { kind: 'auto' }).kind).toBe('expression');
    expect(compileExpression('@{ return 1; }', { kind: 'block' }).kind).toBe('block');
    expect(() => compileExpression('@{ return 1; }', { kind: 'expression' })).toThrow(/expected a single expression '@\( \.\.\. \)' here at 1:1/);
  });

  it('throws ExpressionError with position fields', () => {
    try {
      compileExpression('@(context.Request.Method ==)');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ExpressionError);
      const error = e as ExpressionError;
      expect(error.name).toBe('ExpressionError');
      expect([error.offset, error.line, error.column]).toEqual([27, 1, 28]);
      expect(error.message).toBe("expected an expression at 1:28, found ')'");
    }
  });

  it('returns run-time values the engine can format the .NET way', () => {
    const ctx = testContext();
    expect(formatValue(compileExpression('@(1 == 1)').evaluate(ctx))).toBe('True');
    expect(formatValue(compileExpression('@(context.RequestId)').evaluate(ctx))).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(compileExpression('@(context.RequestId)').evaluate(ctx)).toBeInstanceOf(ClrGuid);
    expect(formatValue(compileExpression('@(2.5)').evaluate(ctx))).toBe('2.5');
    expect(formatValue(null)).toBe('');
    const body = compileExpression('@(context.Request.Body.As<JObject>(preserveContent: true))').evaluate(ctx);
    expect(body).toBeInstanceOf(JObject);
    expect(formatValue(body)).toMatch(/^\{\n {2}"model": "gpt-4o"/);
  });
});
