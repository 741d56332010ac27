import { describe, expect, it } from 'vitest';
import { escapeInlineExpressions, expressionEnd } from './inline-expressions.ts';
import { SourceMap } from './source-map.ts';

describe('escapeInlineExpressions', () => {
  it('escapes quotes, < and bare & inside attribute expressions', () => {
    const { text } = escapeInlineExpressions('<when condition="@(a.Equals("x") && b < 2)" />');
    expect(text).toBe('<when condition="@(a.Equals(&quot;x&quot;) &amp;&amp; b &lt; 2)" />');
  });

  it('leaves already-escaped expressions and literal values alone', () => {
    const xml = '<a v="@(x == &quot;y&quot; &amp;&amp; z)" w="plain &amp; simple" u=\'@(f("q"))\' />';
    expect(escapeInlineExpressions(xml).text).toBe(xml);
  });

  it('handles verbatim, interpolated and char literals and comments', () => {
    const src = '<a v="@($"{(x > 1 ? "a" : "b")}-{y}" + @"c""d" + \'"\' /* ) */)" />';
    const { text } = escapeInlineExpressions(src);
    expect(text).toBe('<a v="@($&quot;{(x > 1 ? &quot;a&quot; : &quot;b&quot;)}-{y}&quot; + @&quot;c&quot;&quot;d&quot; + \'&quot;\' /* ) */)" />');
  });

  it('escapes < and && in element text expressions but not in literal text', () => {
    expect(escapeInlineExpressions('<set-body>@{ return a < b && c ? "<x>" : ""; }</set-body>').text).toBe('<set-body>@{ return a &lt; b &amp;&amp; c ? "&lt;x>" : ""; }</set-body>');
    expect(escapeInlineExpressions('<value>a &amp; b</value>').text).toBe('<value>a &amp; b</value>');
  });

  it('does not touch a value whose expression is followed by more text', () => {
    const xml = '<a v="@(x) and more" />';
    expect(escapeInlineExpressions(xml).text).toBe(xml);
  });

  it('skips comments and CDATA', () => {
    const xml = '<!-- <a v="@("x")" /> --><b><![CDATA[@(a < b)]]></b>';
    expect(escapeInlineExpressions(xml).text).toBe(xml);
  });

  it('maps offsets of escaped text back to the source', () => {
    const src = '<a v="@("x" + y)" />';
    const escaped = escapeInlineExpressions(src);
    const map = new SourceMap('f', src, [[], escaped.replacements]);
    const y = escaped.text.indexOf('y');
    expect(map.toOriginal(y)).toBe(src.indexOf('y'));
    expect(map.toOriginal(escaped.text.indexOf('&quot;'))).toBe(src.indexOf('"x'));
  });
});

describe('expressionEnd', () => {
  it('finds the end of balanced expressions and blocks', () => {
    expect(expressionEnd('  @(a(b)[c]) tail', 0)).toBe(12);
    expect(expressionEnd('@{ if (x) { return "}"; } return "a"; }', 0)).toBe(39);
  });

  it('returns undefined for non-expressions and unbalanced text', () => {
    expect(expressionEnd('x@(1)', 0)).toBeUndefined();
    expect(expressionEnd('@(a', 0)).toBeUndefined();
    expect(expressionEnd('@(a]', 0)).toBeUndefined();
    expect(expressionEnd('@("unterminated)', 0)).toBeUndefined();
  });
});
