import { describe, expect, it } from 'vitest';
import { inSection, only, problems } from '../test-support.ts';

describe('<return-response>', () => {
  it('compiles set-status, set-header and set-body children in order', () => {
    const node = only('return-response', [
      '<return-response response-variable-name="stored">',
      '  <set-status code="401" reason="Unauthorized" />',
      '  <set-header name="WWW-Authenticate" exists-action="override"><value>Bearer error="invalid_token"</value></set-header>',
      '  <set-body>{"error":"nope"}</set-body>',
      '</return-response>',
    ]);
    expect(node.responseVariableName).toBe('stored');
    expect(node.policies.map((p) => p.kind)).toEqual(['set-status', 'set-header', 'set-body']);
    expect(node.policies[1]).toMatchObject({ values: [{ value: 'Bearer error="invalid_token"' }] });
  });

  it('allows only those three children', () => {
    expect(problems(inSection('inbound', '<return-response><set-variable name="a" value="b" /><forward-request /></return-response>'))).toEqual([
      'policy.xml:3:18: set-variable: <return-response> may only contain <set-status>, <set-header>, <set-body>, found <set-variable>',
      'policy.xml:3:53: forward-request: <return-response> may only contain <set-status>, <set-header>, <set-body>, found <forward-request>',
    ]);
  });

  it('is allowed in every section', () => {
    for (const section of ['inbound', 'backend', 'outbound', 'on-error']) expect(only('return-response', ['<return-response />'], section).policies).toEqual([]);
  });
});

describe('<set-status>', () => {
  it('compiles code and reason (both required; expressions allowed)', () => {
    expect(only('set-status', ['<set-status code="429" reason="Too Many Requests" />'], 'outbound')).toMatchObject({ code: { value: 429 }, reason: { value: 'Too Many Requests' } });
    expect(only('set-status', ['<set-status code="@(context.Response.StatusCode)" reason="@(context.Response.StatusReason)" />'], 'outbound')).toMatchObject({
      code: { kind: 'expression' },
      reason: { kind: 'expression' },
    });
  });

  it('validates the code range and required attributes', () => {
    expect(problems(inSection('outbound', '<set-status code="99" />', '<set-status reason="x" code="600" />'))).toEqual([
      "policy.xml:3:1: set-status: missing required attribute 'reason'",
      "policy.xml:3:19: set-status: invalid value for attribute 'code': must be between 100 and 599, got 99",
      "policy.xml:4:30: set-status: invalid value for attribute 'code': must be between 100 and 599, got 600",
    ]);
  });
});

describe('<set-body>', () => {
  it('keeps a literal body exactly as written', () => {
    expect(only('set-body', ['<set-body>  Hello &amp; welcome  </set-body>']).body).toMatchObject({ kind: 'literal', value: '  Hello & welcome  ' });
  });

  it('compiles an expression body, statement blocks included', () => {
    const node = only('set-body', ['<set-body>@{', '  var body = context.Request.Body.As<string>(preserveContent: true);', '  return body.Length > 0 ? body : "{}";', '}</set-body>']);
    expect(node.body.kind === 'expression' && node.body.expression.kind).toBe('block');
    expect(node).toMatchObject({ xsiNil: null, parseDate: true });
  });

  it('keeps markup inside set-body as a literal XML body', () => {
    const node = only('set-body', ['<set-body><soap:Envelope xmlns:soap="urn:x"><soap:Body /></soap:Envelope></set-body>']);
    expect(node.body).toMatchObject({ kind: 'literal', value: '<soap:Envelope xmlns:soap="urn:x"><soap:Body /></soap:Envelope>' });
  });

  it('reports liquid templates as unsupported and checks xsi-nil / parse-date', () => {
    expect(problems(inSection('inbound', '<set-body template="liquid">{{body.x}}</set-body>'), { namedValues: { 'body.x': 'y' } })).toEqual([
      'policy.xml:3:1: set-body: template="liquid" is not supported by the emulator: Liquid templates cannot be rendered; use a policy expression instead',
    ]);
    expect(only('set-body', ['<set-body xsi-nil="null" parse-date="false">x</set-body>'])).toMatchObject({ xsiNil: 'null', parseDate: false });
    expect(problems(inSection('inbound', '<set-body xsi-nil="empty">x</set-body>'))).toEqual([
      'policy.xml:3:20: set-body: invalid value for attribute \'xsi-nil\': expected one of "blank", "null", got "empty"',
    ]);
  });
});
