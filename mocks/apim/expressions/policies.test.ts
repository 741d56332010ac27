/**
 * Expression texts copied verbatim from the project's seed architecture guides (and the APIM
 * policy-expression reference), each evaluated against contexts that exercise both outcomes.
 */
import { describe, expect, it } from 'vitest';
import { headerMap } from './context-builders.ts';
import type { ResponseView } from './context-types.ts';
import { ExpressionError, ExpressionRuntimeError } from './errors.ts';
import { compileExpression } from './index.ts';
import { testContext } from './test-support.ts';

const response = (statusCode: number, headers: Record<string, string> = {}): ResponseView => ({
  statusCode,
  statusReason: '',
  headers: headerMap(headers),
});

describe('seed architecture guide expressions', () => {
  it('@("East US".Equals(context.Deployment.Region, StringComparison.OrdinalIgnoreCase))', () => {
    const e = compileExpression('@("East US".Equals(context.Deployment.Region, StringComparison.OrdinalIgnoreCase))');
    expect(e.resultType).toBe('bool');
    const at = (region: string): unknown => e.evaluate(testContext({}, { deployment: { region, serviceName: 'contoso', gatewayId: 'managed' } }));
    expect(at('East US')).toBe(true);
    expect(at('EAST US')).toBe(true);
    expect(at('West Europe')).toBe(false);
  });

  it('@(context.Request.Headers.GetValueOrDefault("X-Priority", "medium"))', () => {
    const e = compileExpression('@(context.Request.Headers.GetValueOrDefault("X-Priority", "medium"))');
    expect(e.evaluate(testContext({ headers: { 'x-priority': 'high' } }))).toBe('high');
    expect(e.evaluate(testContext({ headers: {} }))).toBe('medium');
  });

  it('@(context.Variables.GetValueOrDefault<string>("requestPriority") == "high")', () => {
    const e = compileExpression('@(context.Variables.GetValueOrDefault<string>("requestPriority") == "high")');
    expect(e.evaluate(testContext({ variables: { requestPriority: 'high' } }))).toBe(true);
    expect(e.evaluate(testContext({ variables: { requestPriority: 'low' } }))).toBe(false);
    expect(e.evaluate(testContext())).toBe(false);
  });

  it('@(context.Subscription.Id)', () => {
    const e = compileExpression('@(context.Subscription.Id)');
    expect(e.evaluate(testContext())).toBe('sub-team-a');
    expect(() => e.evaluate(testContext({}, { subscription: null }))).toThrow(ExpressionRuntimeError);
  });

  it('@(context.Response.StatusCode == 429 || context.Response.StatusCode >= 500)', () => {
    const e = compileExpression('@(context.Response.StatusCode == 429 || context.Response.StatusCode >= 500)');
    const at = (status: number): unknown => e.evaluate(testContext({}, { response: response(status) }));
    expect([at(200), at(429), at(499), at(500), at(503)]).toEqual([false, true, false, true, true]);
  });

  it('@(context.Response.Headers.GetValueOrDefault("Retry-After", "30"))', () => {
    const e = compileExpression('@(context.Response.Headers.GetValueOrDefault("Retry-After", "30"))');
    expect(e.evaluate(testContext({}, { response: response(429, { 'Retry-After': '7' }) }))).toBe('7');
    expect(e.evaluate(testContext({}, { response: response(429) }))).toBe('30');
  });

  it('@("Bearer " + (string)context.Variables["msi-access-token"])', () => {
    const e = compileExpression('@("Bearer " + (string)context.Variables["msi-access-token"])');
    expect(e.evaluate(testContext({ variables: { 'msi-access-token': 'eyJ0' } }))).toBe('Bearer eyJ0');
    expect(() => e.evaluate(testContext())).toThrow("The given key 'msi-access-token' was not present in the dictionary.");
  });

  it('@(context.Request.Body.As<JObject>(preserveContent: true)["model"]?.ToString() ?? "unknown")', () => {
    const e = compileExpression('@(context.Request.Body.As<JObject>(preserveContent: true)["model"]?.ToString() ?? "unknown")');
    expect(e.resultType).toBe('string');
    expect(e.evaluate(testContext({ body: '{"model":"gpt-4o-mini"}' }))).toBe('gpt-4o-mini');
    expect(e.evaluate(testContext({ body: '{"messages":[]}' }))).toBe('unknown');
    // JSON null is a JValue, so ?. does not stop and ToString() gives "".
    expect(e.evaluate(testContext({ body: '{"model":null}' }))).toBe('');
  });

  it('@{ var body = ...; return body["stream"] != null && (bool)body["stream"]; }', () => {
    const e = compileExpression('@{ var body = context.Request.Body.As<JObject>(preserveContent: true); return body["stream"] != null && (bool)body["stream"]; }');
    expect(e.kind).toBe('block');
    expect(e.resultType).toBe('bool');
    expect(e.evaluate(testContext({ body: '{"stream":true}' }))).toBe(true);
    expect(e.evaluate(testContext({ body: '{"stream":false}' }))).toBe(false);
    expect(e.evaluate(testContext({ body: '{"model":"m"}' }))).toBe(false);
    // Present-but-null passes the != null check and the cast then fails, as on APIM.
    expect(() => e.evaluate(testContext({ body: '{"stream":null}' }))).toThrow('Can not convert Null to Boolean.');
  });

  it('rejects the bare @(StatusCode==429||StatusCode==503) retry condition at load time', () => {
    let error: unknown;
    try {
      compileExpression('@(StatusCode==429||StatusCode==503)');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).message).toMatch(/the name 'StatusCode' does not exist in the current context/);
    expect((error as ExpressionError).message).toMatch(/'context\.Response\.StatusCode'/);
    // The valid form compiles and works.
    const valid = compileExpression('@(context.Response.StatusCode==429||context.Response.StatusCode==503)');
    expect(valid.evaluate(testContext({}, { response: response(503) }))).toBe(true);
  });
});

describe('APIM policy-expression reference examples', () => {
  it('@(true), @((1+1).ToString()) and @("Hi There".Length)', () => {
    expect(compileExpression('@(true)').evaluate(testContext())).toBe(true);
    expect(compileExpression('@((1+1).ToString())').evaluate(testContext())).toBe('2');
    expect(compileExpression('@("Hi There".Length)').evaluate(testContext())).toBe(8);
  });

  it('@(context.Variables.ContainsKey("maxAge") ? int.Parse((string)context.Variables["maxAge"]) : 3600)', () => {
    const e = compileExpression('@(context.Variables.ContainsKey("maxAge") ? int.Parse((string)context.Variables["maxAge"]) : 3600)');
    expect(e.evaluate(testContext({ variables: { maxAge: '60' } }))).toBe(60);
    expect(e.evaluate(testContext())).toBe(3600);
  });

  it('a multi-line block with typed locals, as written in XML', () => {
    const text = `@{
      string priority = context.Request.Headers.GetValueOrDefault("X-Priority", "medium").ToLower();
      int weight = 1;
      if (priority == "high") {
        weight = 3;
      } else if (priority == "low") {
        weight = 0;
      }
      return $"{context.Subscription.Id}:{weight}";
    }`;
    const e = compileExpression(text);
    expect(e.evaluate(testContext({ headers: { 'X-Priority': 'HIGH' } }))).toBe('sub-team-a:3');
    expect(e.evaluate(testContext({ headers: {} }))).toBe('sub-team-a:1');
  });
});
