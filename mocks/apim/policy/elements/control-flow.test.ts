import { describe, expect, it } from 'vitest';
import { only, problems, inSection } from '../test-support.ts';

describe('<choose>', () => {
  it('compiles when branches in order and an optional otherwise', () => {
    const node = only('choose', [
      '<choose>',
      '  <when condition="@(context.Request.Method == &quot;GET&quot;)"><set-variable name="a" value="1" /></when>',
      '  <when condition="true" />',
      '</choose>',
    ]);
    expect(node.when).toHaveLength(2);
    expect(node.when[0]).toMatchObject({ at: { line: 4, column: 3 }, condition: { kind: 'expression' }, policies: [{ kind: 'set-variable' }] });
    expect(node.when[1]).toMatchObject({ condition: { kind: 'literal', value: true }, policies: [] });
    expect(node.otherwise).toBeNull();
    expect(only('choose', ['<choose><when condition="false" /><otherwise /></choose>']).otherwise).toEqual([]);
  });

  it('requires at least one when, when before otherwise, one otherwise, and nothing else', () => {
    expect(problems(inSection('inbound', '    <choose />'))).toEqual(['policy.xml:3:5: choose: <choose> must contain at least one <when>']);
    expect(problems(inSection('inbound', '    <choose><otherwise /><when condition="true" /><otherwise /><set-variable name="a" value="b" /></choose>'))).toEqual([
      'policy.xml:3:26: when: <when> must come before <otherwise>',
      'policy.xml:3:51: otherwise: only one <otherwise> is allowed in <choose>',
      'policy.xml:3:64: set-variable: <choose> may only contain <when> and <otherwise>, found <set-variable>',
    ]);
  });

  it('requires a bool condition', () => {
    expect(problems(inSection('inbound', '    <choose><when><base /></when></choose>'))).toEqual([
      "policy.xml:3:13: when: missing required attribute 'condition'",
      'policy.xml:3:19: base: <base/> must be a direct child of a section, not inside <when>',
    ]);
    expect(problems(inSection('inbound', '    <choose><when condition="yes" /></choose>'))).toEqual([
      'policy.xml:3:30: when: invalid value for attribute \'condition\': expected "true" or "false", got "yes"',
    ]);
  });

  it('applies section placement inside branches', () => {
    expect(problems(inSection('backend', '    <choose><when condition="true"><rewrite-uri template="/a" /></when><otherwise><forward-request /></otherwise></choose>'))).toEqual([
      'policy.xml:3:36: rewrite-uri: <rewrite-uri> is not allowed in the backend section (APIM allows it in: inbound)',
    ]);
  });
});

describe('<retry>', () => {
  it('compiles the documented attributes and defaults', () => {
    const node = only('retry', ['<retry condition="@(context.Response.StatusCode == 429)" count="2" interval="0"><forward-request /></retry>'], 'backend');
    expect(node).toMatchObject({
      kind: 'retry',
      condition: { kind: 'expression' },
      count: { kind: 'literal', value: 2 },
      interval: { kind: 'literal', value: 0 },
      maxInterval: null,
      delta: null,
      firstFastRetry: { kind: 'literal', value: false },
      policies: [{ kind: 'forward-request' }],
    });
  });

  it('accepts expressions for every attribute', () => {
    const node = only('retry', ['<retry condition="true" count="@(1 + 1)" interval="@(1)" max-interval="@(10)" delta="@(2)" first-fast-retry="@(true)" />'], 'backend');
    expect([node.count.kind, node.interval.kind, node.maxInterval?.kind, node.delta?.kind, node.firstFastRetry.kind]).toEqual(['expression', 'expression', 'expression', 'expression', 'expression']);
  });

  it('validates count 1-50, intervals and required attributes', () => {
    expect(problems(inSection('backend', '    <retry condition="true" count="0" interval="-1" delta="x" first-fast-retry="maybe" />', '    <retry condition="true" count="51" />'))).toEqual([
      "policy.xml:3:36: retry: invalid value for attribute 'count': must be between 1 and 50, got 0",
      "policy.xml:3:49: retry: invalid value for attribute 'interval': must be at least 0, got -1",
      'policy.xml:3:60: retry: invalid value for attribute \'delta\': expected an integer at least 0, got "x"',
      'policy.xml:3:81: retry: invalid value for attribute \'first-fast-retry\': expected "true" or "false", got "maybe"',
      "policy.xml:4:5: retry: missing required attribute 'interval'",
      "policy.xml:4:36: retry: invalid value for attribute 'count': must be between 1 and 50, got 51",
    ]);
  });

  it('may contain any policy except wait', () => {
    expect(problems(inSection('backend', '    <retry condition="true" count="1" interval="1"><wait /><forward-request /></retry>'))).toEqual([
      'policy.xml:3:52: wait: <wait> is not allowed inside <retry> (and <wait> is not supported by the emulator)',
    ]);
  });
});
