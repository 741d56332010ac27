import { describe, expect, it } from 'vitest';
import { compileFragmentSet } from './compile-fragment.ts';
import { formatProblem } from './policy-errors.ts';
import { compile, fragment, fragmentProblems, inSection, problems } from './test-support.ts';

const headerFragment = ['<fragment>', '  <set-header name="x-ctx" exists-action="override">', '    <value>@(context.Deployment.Region)</value>', '  </set-header>', '</fragment>'].join('\n');
const limitFragment = '<fragment>\n  <llm-token-limit counter-key="k" tokens-per-minute="{{tpm}}" estimate-prompt-tokens="false" />\n</fragment>';

describe('compileFragment', () => {
  it('compiles policies with their positions and the fragment id', () => {
    const f = fragment(headerFragment, { file: 'fragments/ctx.xml', id: 'ctx' });
    expect(f.id).toBe('ctx');
    expect(f.policies).toMatchObject([{ kind: 'set-header', fragmentId: 'ctx', at: { file: 'fragments/ctx.xml', line: 2, column: 3 } }]);
    expect([...f.sectionsAllowed]).toEqual(['inbound', 'backend', 'outbound', 'on-error']);
  });

  it('records where the fragment may be included', () => {
    expect([...fragment(limitFragment, { namedValues: { tpm: '100' } }).sectionsAllowed]).toEqual(['inbound']);
  });

  it('rejects <base/>, sections and a wrong root', () => {
    expect(fragmentProblems('<fragment>\n  <base />\n  <inbound />\n</fragment>')).toEqual([
      'fragment.xml:2:3: base: <base/> is not allowed in a policy fragment',
      'fragment.xml:3:3: inbound: <inbound> is not allowed here',
    ]);
    expect(fragmentProblems('<policies />')).toEqual(['fragment.xml:1:1: policies: the root element of a fragment must be <fragment>, found <policies>']);
  });

  it('reports unknown named values in fragments', () => {
    expect(fragmentProblems(limitFragment, { file: 'f.xml' })).toEqual(["f.xml:2:55: llm-token-limit: unknown named value '{{tpm}}'"]);
  });
});

describe('<include-fragment>', () => {
  const ctx = fragment(headerFragment, { file: 'fragments/ctx.xml', id: 'ctx' });

  it('inlines the fragment policies, tagged with the fragment id and their own positions', () => {
    const policy = compile(inSection('outbound', '    <base />', '    <include-fragment fragment-id="ctx" />', '    <set-variable name="a" value="b" />'), { fragments: { ctx } });
    expect(policy.sections.outbound?.map((n) => [n.kind, n.fragmentId, n.at.file, n.at.line])).toEqual([
      ['base', undefined, 'policy.xml', 3],
      ['set-header', 'ctx', 'fragments/ctx.xml', 2],
      ['set-variable', undefined, 'policy.xml', 5],
    ]);
  });

  it('tags fragments compiled without an id when they are included', () => {
    const anonymous = fragment('<fragment><choose><when condition="true"><set-variable name="a" value="b" /></when></choose></fragment>');
    const [choose] = compile(inSection('inbound', '<include-fragment fragment-id="anon" />'), { fragments: { anon: anonymous } }).sections.inbound ?? [];
    expect(choose?.fragmentId).toBe('anon');
    expect(choose?.kind === 'choose' && choose.when[0]?.policies[0]?.fragmentId).toBe('anon');
  });

  it('checks the fragment policies against the section it is included in', () => {
    const limits = fragment(limitFragment, { file: 'fragments/limits.xml', namedValues: { tpm: '100' } });
    expect(problems(inSection('outbound', '    <include-fragment fragment-id="limits" />'), { fragments: { limits } })).toEqual([
      "policy.xml:3:5: include-fragment: fragment 'limits' contains <llm-token-limit> (fragments/limits.xml:2:3), which is not allowed in the outbound section (APIM allows it in: inbound)",
    ]);
    expect(compile(inSection('inbound', '<include-fragment fragment-id="limits" />'), { fragments: { limits } }).sections.inbound?.[0]?.kind).toBe('llm-token-limit');
  });

  it('reports a missing fragment, with a suggestion', () => {
    expect(problems(inSection('inbound', '    <include-fragment fragment-id="cxt" />', '    <include-fragment />'), { fragments: { ctx } })).toEqual([
      "policy.xml:3:5: include-fragment: unknown fragment 'cxt' (did you mean 'ctx'?)",
      "policy.xml:4:5: include-fragment: missing required attribute 'fragment-id'",
    ]);
  });

  it('nests fragments: a fragment may include an already compiled one', () => {
    const outer = fragment('<fragment>\n  <include-fragment fragment-id="ctx" />\n  <set-variable name="o" value="1" />\n</fragment>', { id: 'outer', fragments: { ctx } });
    expect(outer.policies.map((n) => [n.kind, n.fragmentId])).toEqual([
      ['set-header', 'ctx'],
      ['set-variable', 'outer'],
    ]);
    const policy = compile(inSection('inbound', '<include-fragment fragment-id="outer" />'), { fragments: { outer } });
    expect(policy.sections.inbound?.map((n) => n.fragmentId)).toEqual(['ctx', 'outer']);
  });

  it('detects a fragment including itself', () => {
    expect(fragmentProblems('<fragment>\n  <include-fragment fragment-id="self" />\n</fragment>', { id: 'self', file: 'self.xml' })).toEqual([
      'self.xml:2:3: include-fragment: fragment include cycle: self → self',
    ]);
  });
});

describe('compileFragmentSet', () => {
  const src = (xml: string, file: string) => ({ xml, file });

  it('compiles fragments in dependency order', () => {
    const result = compileFragmentSet(
      new Map([
        ['a', src('<fragment><include-fragment fragment-id="b" /></fragment>', 'a.xml')],
        ['b', src('<fragment><include-fragment fragment-id="c" /><set-variable name="b" value="1" /></fragment>', 'b.xml')],
        ['c', src('<fragment><set-variable name="c" value="{{v}}" /></fragment>', 'c.xml')],
      ]),
      { namedValues: new Map([['v', '42']]), allowNestedFragments: true },
    );
    expect(result.problems).toEqual([]);
    expect(result.fragments.get('a')?.policies.map((n) => [n.kind, n.fragmentId])).toEqual([
      ['set-variable', 'c'],
      ['set-variable', 'b'],
    ]);
  });

  it('reports a cycle at the include that closes it, and what depends on it', () => {
    const result = compileFragmentSet(
      new Map([
        ['a', src('<fragment>\n  <include-fragment fragment-id="b" />\n</fragment>', 'a.xml')],
        ['b', src('<fragment>\n  <set-variable name="x" value="1" />\n  <include-fragment fragment-id="a" />\n</fragment>', 'b.xml')],
        ['ok', src('<fragment><set-variable name="x" value="1" /></fragment>', 'ok.xml')],
      ]),
      { namedValues: new Map(), allowNestedFragments: true },
    );
    expect(result.problems.map(formatProblem)).toEqual([
      "a.xml:2:3: include-fragment: fragment 'b' did not compile (see its own problems)",
      'b.xml:3:3: include-fragment: fragment include cycle: a → b → a',
    ]);
    expect([...result.fragments.keys()]).toEqual(['ok']);
  });

  it('refuses a fragment that includes another, as APIM does, at the include', () => {
    const result = compileFragmentSet(
      new Map([
        ['outer', src('<fragment>\n  <set-variable name="x" value="1" />\n  <include-fragment fragment-id="inner" />\n</fragment>', 'outer.xml')],
        ['inner', src('<fragment><set-variable name="y" value="2" /></fragment>', 'inner.xml')],
      ]),
      { namedValues: new Map() },
    );
    expect(result.problems.map(formatProblem)).toEqual([
      'outer.xml:3:3: include-fragment: a policy fragment cannot include another policy fragment in APIM; include both from the policy instead',
    ]);
  });
});
