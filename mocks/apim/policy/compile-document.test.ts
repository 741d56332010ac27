import { describe, expect, it } from 'vitest';
import { compilePolicyDocument } from './compile-document.ts';
import { PolicyCompileError } from './policy-errors.ts';
import { compile, inSection, only, problems } from './test-support.ts';

describe('document structure', () => {
  it('absent sections are null, empty ones are empty lists', () => {
    const policy = compile('<policies>\n  <inbound />\n  <outbound></outbound>\n</policies>', { file: 'a.xml', scope: 'operation' });
    expect(policy).toEqual({ file: 'a.xml', scope: 'operation', sections: { inbound: [], backend: null, outbound: [], 'on-error': null } });
  });

  it('ignores comments, the XML declaration and CRLF line endings', () => {
    const xml = '<?xml version="1.0"?>\r\n<!-- top -->\r\n<policies>\r\n  <inbound>\r\n    <!-- <set-heder/> -->\r\n    <set-variable name="a" value="1" />\r\n  </inbound>\r\n</policies>';
    const node = compile(xml).sections.inbound?.[0];
    expect(node).toMatchObject({ kind: 'set-variable', at: { line: 6, column: 5 } });
  });

  it('requires <policies> as the root', () => {
    expect(problems('<fragment/>')).toEqual(['policy.xml:1:1: fragment: the root element must be <policies>, found <fragment>']);
  });

  it('reports unknown and duplicate sections', () => {
    expect(problems('<policies>\n  <inbnd/>\n  <inbound/>\n  <inbound/>\n</policies>')).toEqual([
      "policy.xml:2:3: inbnd: unknown section <inbnd>: expected inbound, backend, outbound or on-error (did you mean 'inbound'?)",
      'policy.xml:4:3: inbound: duplicate <inbound> section',
    ]);
  });

  it('reports text where only policies may stand', () => {
    expect(problems(inSection('inbound', '    hello'))).toEqual(['policy.xml:3:5: inbound: unexpected text "hello": only policy elements are allowed here']);
  });

  it('keeps the optional id attribute of any policy as policyId', () => {
    expect(only('set-variable', ['<set-variable id="remember" name="a" value="b" />'])).toMatchObject({ policyId: 'remember' });
    expect(only('set-variable', ['<set-variable name="a" value="b" />']).policyId).toBeUndefined();
  });
});

describe('unknown versus unsupported elements', () => {
  it('an unknown element is a typo, with a suggestion', () => {
    expect(problems(inSection('inbound', '    <set-heder name="a" />'))).toEqual(["policy.xml:3:5: set-heder: unknown element <set-heder>: not an APIM policy (did you mean 'set-header'?)"]);
    expect(problems(inSection('inbound', '    <frobnicate />'))).toEqual(['policy.xml:3:5: frobnicate: unknown element <frobnicate>: not an APIM policy']);
  });

  it.each(['cache-lookup', 'llm-semantic-cache-lookup', 'log-to-eventhub', 'send-request', 'mock-response', 'find-and-replace', 'json-to-xml', 'trace', 'wait', 'emit-metric', 'cors', 'validate-content', 'llm-content-safety'])(
    'a real APIM policy the emulator lacks is "not supported": %s',
    (name) => {
      const [problem] = problems(inSection('inbound', `    <${name} />`));
      expect(problem).toBe(`policy.xml:3:5: ${name}: <${name}> is not supported by the emulator`);
    },
  );

  it('an unknown attribute is reported with a suggestion', () => {
    expect(problems(inSection('inbound', '    <set-variable name="a" valu="b" value="c" />'))).toEqual(["policy.xml:3:28: set-variable: unknown attribute 'valu' (did you mean 'value'?)"]);
  });
});

describe('<base/> placement', () => {
  const withBase = inSection('inbound', '    <base />');

  it('is allowed in every section at product, api and operation scope', () => {
    for (const scope of ['product', 'api', 'operation'] as const) {
      for (const section of ['inbound', 'backend', 'outbound', 'on-error']) {
        expect(compile(inSection(section, '    <base />'), { scope }).sections).toMatchObject({ [section]: [{ kind: 'base', at: { line: 3, column: 5 } }] });
      }
    }
  });

  it('is an error at global scope', () => {
    expect(problems(withBase, { scope: 'global' })).toEqual(['policy.xml:3:5: base: <base/> is not allowed at global scope: there is no enclosing scope to inherit from']);
  });

  it('must be a direct child of a section, once', () => {
    expect(problems(inSection('inbound', '    <base />', '    <base />', '    <choose><when condition="true"><base /></when></choose>'))).toEqual([
      'policy.xml:4:5: base: <base/> may appear only once per section',
      'policy.xml:5:36: base: <base/> must be a direct child of a section, not inside <when>',
    ]);
  });

  it('takes no attributes or content', () => {
    expect(problems(inSection('inbound', '    <base x="1" />'))).toEqual(["policy.xml:3:11: base: unknown attribute 'x'"]);
  });
});

describe('section placement', () => {
  it('reports policies in sections APIM does not allow them in, all at once', () => {
    const xml = [
      '<policies>',
      '  <inbound>',
      '    <forward-request />',
      '  </inbound>',
      '  <backend>',
      '    <rewrite-uri template="/x" />',
      '  </backend>',
      '  <outbound>',
      '    <llm-token-limit counter-key="k" tokens-per-minute="10" estimate-prompt-tokens="false" />',
      '    <choose><when condition="true"><rate-limit-by-key calls="1" renewal-period="1" counter-key="k" /></when></choose>',
      '  </outbound>',
      '  <on-error>',
      '    <set-body>x</set-body>',
      '  </on-error>',
      '</policies>',
    ].join('\n');
    expect(problems(xml, { file: 'p.xml' })).toEqual([
      'p.xml:3:5: forward-request: <forward-request> is not allowed in the inbound section (APIM allows it in: backend)',
      'p.xml:6:5: rewrite-uri: <rewrite-uri> is not allowed in the backend section (APIM allows it in: inbound)',
      'p.xml:9:5: llm-token-limit: <llm-token-limit> is not allowed in the outbound section (APIM allows it in: inbound)',
      'p.xml:10:36: rate-limit-by-key: <rate-limit-by-key> is not allowed in the outbound section (APIM allows it in: inbound)',
      'p.xml:13:5: set-body: <set-body> is not allowed in the on-error section (APIM allows it in: inbound, backend, outbound)',
    ]);
  });

  it('allows set-body inside return-response in on-error', () => {
    const node = only('return-response', ['<return-response><set-body>sorry</set-body></return-response>'], 'on-error');
    expect(node.policies.map((p) => p.kind)).toEqual(['set-body']);
  });
});

describe('multi-problem reporting and the error object', () => {
  const xml = [
    '<policies>', // 1
    '  <inbound>', // 2
    '    <rate-limit-by-key calls="ten" renewal-period="600" counter-key="k" />', // 3
    '    <set-header name="x" exists-action="replace" />', // 4
    '    <retry count="3" interval="1">', // 5
    '      <forward-request timeout="soon" />', // 6
    '    </retry>', // 7
    '    <cache-lookup vary-by-developer="false" />', // 8
    '  </inbound>', // 9
    '</policies>', // 10
  ].join('\n');

  it('collects every problem, in document order, with exact positions', () => {
    expect(problems(xml, { file: 'api/policy.xml' })).toEqual([
      'api/policy.xml:3:31: rate-limit-by-key: invalid value for attribute \'calls\': expected an integer at least 1, got "ten"',
      "api/policy.xml:3:52: rate-limit-by-key: invalid value for attribute 'renewal-period': must be between 1 and 300, got 600",
      'api/policy.xml:4:41: set-header: invalid value for attribute \'exists-action\': expected one of "override", "skip", "append", "delete", got "replace"',
      "api/policy.xml:5:5: retry: missing required attribute 'condition'",
      'api/policy.xml:6:7: forward-request: <forward-request> is not allowed in the inbound section (APIM allows it in: backend)',
      'api/policy.xml:6:33: forward-request: invalid value for attribute \'timeout\': expected an integer at least 0, got "soon"',
      'api/policy.xml:8:5: cache-lookup: <cache-lookup> is not supported by the emulator',
    ]);
  });

  it('throws one PolicyCompileError whose fields describe the first problem', () => {
    let error: unknown;
    try {
      compilePolicyDocument(xml, { file: 'api/policy.xml', scope: 'api', namedValues: new Map(), fragments: new Map() });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyCompileError);
    const e = error as PolicyCompileError;
    expect([e.file, e.line, e.column, e.element, e.code]).toEqual(['api/policy.xml', 3, 31, 'rate-limit-by-key', 'invalid-value']);
    expect(e.problems).toHaveLength(7);
    expect(e.message.split('\n')).toHaveLength(7);
    expect(e.message.startsWith('api/policy.xml:3:31: rate-limit-by-key: invalid value')).toBe(true);
  });
});

describe('malformed XML', () => {
  it('reports the line where the parser noticed the problem', () => {
    expect(problems('<policies>\n  <inbound>\n    <base />\n  </outbound>\n</policies>')).toEqual(['policy.xml:4:13: outbound: malformed XML: unexpected close tag.']);
    expect(problems('<policies>\n  <inbound>\n    <set-variable name="a" value="1" value="2" />\n  </inbound>\n</policies>')).toEqual([
      'policy.xml:3:38: set-variable: malformed XML: duplicate attribute: value.',
    ]);
    expect(problems('<policies>\n  <inbound>\n')).toEqual(['policy.xml:2:3: inbound: malformed XML: unclosed tag: inbound']);
  });

  it('reports original lines even after multi-line named values', () => {
    const xml = '<policies>\n  <inbound>\n    {{block}}\n    <oops\n  </inbound>\n</policies>';
    const [problem] = problems(xml, { namedValues: { block: '<set-variable name="a"\n   value="b" />' } });
    expect(problem).toMatch(/^policy\.xml:5:/);
  });
});

describe('named values', () => {
  it('substitutes in attributes, element text and inside expressions', () => {
    const nodes = compile(
      inSection(
        'inbound',
        '    <set-backend-service base-url="{{backend-url}}" />',
        '    <set-header name="api-key" exists-action="override"><value>{{Key}}</value></set-header>',
        '    <set-variable name="x" value="@(context.Request.Headers.GetValueOrDefault(&quot;{{header}}&quot;, &quot;&quot;))" />',
      ),
      { namedValues: { 'backend-url': 'https://example.test/', key: 's3cret', header: 'X-Priority' } },
    ).sections.inbound;
    expect(nodes?.[0]).toMatchObject({ kind: 'set-backend-service', baseUrl: { kind: 'literal', value: 'https://example.test/' } });
    expect(nodes?.[1]).toMatchObject({ kind: 'set-header', values: [{ kind: 'literal', value: 's3cret' }] });
    expect(nodes?.[2]).toMatchObject({ kind: 'set-variable', value: { kind: 'expression', text: '@(context.Request.Headers.GetValueOrDefault("X-Priority", ""))' } });
  });

  it('a named value may hold a whole expression, quotes and all', () => {
    const node = only('choose', ['<choose><when condition="{{is-high}}" /></choose>'], 'inbound', {
      namedValues: { 'is-high': '@(context.Request.Headers.GetValueOrDefault("X-Priority", "") == "high")' },
    });
    expect(node.when[0]?.condition).toMatchObject({ kind: 'expression' });
  });

  it('reports unknown named values with file, line, column and name, without cascading', () => {
    expect(problems(inSection('inbound', '    <set-variable name="a" value="x" />', '    <rate-limit-by-key calls="{{calls}}" renewal-period="60" counter-key="@(&quot;{{missing}}&quot; + 1)" />'), { file: 'f.xml' })).toEqual([
      "f.xml:4:31: rate-limit-by-key: unknown named value '{{calls}}'",
      "f.xml:4:83: rate-limit-by-key: unknown named value '{{missing}}'",
    ]);
  });

  it('keeps later positions exact when a value spans several lines', () => {
    const xml = inSection('inbound', '    <set-body>{{big}}</set-body>', '    <set-variable name="v" value="@(1 +)" />');
    expect(problems(xml, { namedValues: { big: 'line1\nline2\nline3' } })).toEqual(["policy.xml:4:40: set-variable: invalid policy expression in attribute 'value': expected an expression, found ')'"]);
  });
});

describe('expression errors map to the file position of the offending character', () => {
  it('in a one-line attribute', () => {
    expect(problems(inSection('inbound', '    <set-variable name="v" value="@(context.Foo)" />'))).toEqual([
      "policy.xml:3:45: set-variable: invalid policy expression in attribute 'value': 'IContext' does not contain a definition for 'Foo'",
    ]);
  });

  it('in an attribute spanning lines (XML turns its newlines into spaces)', () => {
    const xml = inSection('inbound', '    <choose>', '      <when condition="@(', '          context.Request.Method == 1)">', '      </when>', '    </choose>');
    expect(problems(xml)).toEqual(["policy.xml:5:34: when: invalid policy expression in attribute 'condition': operator '==' cannot be applied to operands of type 'string' and 'int'"]);
  });

  it('after XML entities in the same attribute', () => {
    expect(problems(inSection('inbound', '    <set-variable name="v" value="@(&quot;a&quot; + context.Nope)" />'))).toEqual([
      "policy.xml:3:61: set-variable: invalid policy expression in attribute 'value': 'IContext' does not contain a definition for 'Nope'",
    ]);
  });

  it('in a multi-line statement block in element text', () => {
    const xml = inSection('inbound', '    <set-body>@{', '        var a = 1;', '        return a +;', '    }</set-body>');
    expect(problems(xml)).toEqual(["policy.xml:5:19: set-body: invalid policy expression in <set-body> text: expected an expression, found ';'"]);
  });

  it('accepts raw quotes, && and < inside expressions, as APIM does', () => {
    const node = only('choose', ['<choose><when condition="@(context.Request.Headers.GetValueOrDefault("a", "") == "b" && 1 < 2)" /></choose>']);
    expect(node.when[0]?.condition.text).toBe('@(context.Request.Headers.GetValueOrDefault("a", "") == "b" && 1 < 2)');
  });

  it('rejects expression results that can never convert', () => {
    expect(problems(inSection('inbound', '    <choose><when condition="@(&quot;yes&quot;)" /></choose>'))).toEqual([
      "policy.xml:3:30: when: attribute 'condition' must be a bool, but the expression is of type string",
    ]);
  });

  it('rejects expressions where APIM allows literals only', () => {
    expect(problems(inSection('inbound', '    <quota-by-key calls="@(5)" renewal-period="300" counter-key="k" />'))).toEqual([
      "policy.xml:3:26: quota-by-key: policy expressions are not allowed in attribute 'calls'",
    ]);
  });
});
