import { describe, expect, it } from 'vitest';
import { inSection, only, problems } from '../test-support.ts';

describe('<set-variable>', () => {
  it('stores literals as strings and keeps expressions compiled', () => {
    expect(only('set-variable', ['<set-variable name="n" value="42" />'])).toMatchObject({ name: 'n', value: { kind: 'literal', value: '42', at: { line: 3, column: 31 } } });
    const node = only('set-variable', ['<set-variable name="body" value="@(context.Request.Body.As&lt;JObject&gt;(preserveContent: true))" />'], 'outbound');
    expect(node.value.kind === 'expression' && node.value.expression.resultType).toBe('JObject');
  });

  it('requires name and value; name is literal only', () => {
    expect(problems(inSection('inbound', '    <set-variable />', '    <set-variable name="@(&quot;x&quot;)" value="1" />'))).toEqual([
      "policy.xml:3:5: set-variable: missing required attribute 'name'",
      "policy.xml:3:5: set-variable: missing required attribute 'value'",
      "policy.xml:4:25: set-variable: policy expressions are not allowed in attribute 'name'",
    ]);
  });

  it('is allowed in every section', () => {
    for (const section of ['inbound', 'backend', 'outbound', 'on-error']) expect(only('set-variable', ['<set-variable name="a" value="b" />'], section).kind).toBe('set-variable');
  });
});

describe('<set-header> and <set-query-parameter>', () => {
  it('compiles values in order, trimmed, defaulting exists-action to override', () => {
    const node = only('set-header', ['<set-header name="X-Trace">', '  <value> a </value>', '  <value>@(context.RequestId)</value>', '</set-header>'], 'outbound');
    expect(node).toMatchObject({ kind: 'set-header', name: { value: 'X-Trace' }, existsAction: { kind: 'literal', value: 'override' } });
    expect(node.values.map((v) => [v.kind, v.text])).toEqual([
      ['literal', 'a'],
      ['expression', '@(context.RequestId)'],
    ]);
    expect(node.values[1]?.at).toEqual({ file: 'policy.xml', line: 5, column: 10 });
  });

  it('accepts every exists-action, case-insensitively, and expressions for name and action', () => {
    for (const action of ['override', 'skip', 'append', 'delete', 'Skip']) {
      expect(only('set-header', [`<set-header name="a" exists-action="${action}" />`]).existsAction).toMatchObject({ value: action.toLowerCase() });
    }
    const node = only('set-header', ['<set-header name="@(&quot;X-&quot; + context.Api.Name)" exists-action="@(&quot;skip&quot;)"><value>1</value></set-header>']);
    expect([node.name.kind, node.existsAction.kind]).toEqual(['expression', 'expression']);
  });

  it('reports bad children and missing name', () => {
    expect(problems(inSection('inbound', '    <set-header exists-action="delete"><val>1</val><value><b/></value></set-header>'))).toEqual([
      "policy.xml:3:5: set-header: missing required attribute 'name'",
      'policy.xml:3:40: val: <set-header> may only contain <value> elements, found <val>',
      'policy.xml:3:59: value: <value> takes text only, found <b>',
    ]);
  });

  it('set-query-parameter needs a value unless deleting, and runs in inbound/backend only', () => {
    expect(only('set-query-parameter', ['<set-query-parameter name="api-version" exists-action="skip"><value>2024-10-21</value></set-query-parameter>'], 'backend')).toMatchObject({
      kind: 'set-query-parameter',
      values: [{ value: '2024-10-21' }],
    });
    expect(only('set-query-parameter', ['<set-query-parameter name="code" exists-action="delete" />']).values).toEqual([]);
    expect(problems(inSection('outbound', '    <set-query-parameter name="a" />'))).toEqual([
      'policy.xml:3:5: set-query-parameter: <set-query-parameter> is not allowed in the outbound section (APIM allows it in: inbound, backend)',
      'policy.xml:3:5: set-query-parameter: <set-query-parameter> requires at least one <value> unless exists-action is "delete"',
    ]);
  });
});
