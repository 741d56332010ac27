import { describe, expect, it } from 'vitest';
import { ExpressionError } from './errors.ts';
import { tokenize } from './lexer.ts';

const kinds = (text: string): string[] => tokenize(text).map((t) => `${t.kind}:${t.text}`);

describe('tokenize', () => {
  it('splits identifiers, keywords, punctuators and numbers with exact offsets', () => {
    const tokens = tokenize('context.Response.StatusCode >= 500');
    expect(tokens.map((t) => [t.kind, t.text, t.start, t.end])).toEqual([
      ['identifier', 'context', 0, 7],
      ['punct', '.', 7, 8],
      ['identifier', 'Response', 8, 16],
      ['punct', '.', 16, 17],
      ['identifier', 'StatusCode', 17, 27],
      ['punct', '>=', 28, 30],
      ['int', '500', 31, 34],
      ['eof', '', 34, 34],
    ]);
  });

  it('prefers the longest punctuator and keeps > separate for nested generics', () => {
    expect(kinds('a ?? b?.c != d')).toEqual(['identifier:a', 'punct:??', 'identifier:b', 'punct:?.', 'identifier:c', 'punct:!=', 'identifier:d', 'eof:']);
    expect(kinds('x>>y')).toEqual(['identifier:x', 'punct:>', 'punct:>', 'identifier:y', 'eof:']);
  });

  it('reads "?." before a digit as a conditional operator and a real literal', () => {
    expect(kinds('a?.5:1')).toEqual(['identifier:a', 'punct:?', 'real:.5', 'punct::', 'int:1', 'eof:']);
  });

  it('decodes regular string escapes', () => {
    const [t] = tokenize('"a\\tb\\"c\\u0041\\\\"');
    expect(t?.value).toBe('a\tb"cA\\');
  });

  it('decodes verbatim strings, where "" is a quote and backslashes are literal', () => {
    const [t] = tokenize('@"C:\\path ""quoted"""');
    expect(t?.kind).toBe('string');
    expect(t?.value).toBe('C:\\path "quoted"');
  });

  it('types integer literals as long when suffixed or too large for int', () => {
    const [a, b, c] = tokenize('2147483647 2147483648 5L');
    expect([a?.isLong, b?.isLong, c?.isLong]).toEqual([false, true, true]);
    expect(c?.value).toBe(5);
  });

  it('reads reals, exponents, digit separators and hex', () => {
    expect(tokenize('1.5 1e3 2.5d 1_000 0xFF').slice(0, 5).map((t) => [t.kind, t.value])).toEqual([
      ['real', 1.5],
      ['real', 1000],
      ['real', 2.5],
      ['int', 1000],
      ['int', 255],
    ]);
  });

  it('refuses float and decimal literals rather than silently treating them as double', () => {
    expect(() => tokenize('1.5m')).toThrow(/decimal literals are not supported/);
    expect(() => tokenize('1.5f')).toThrow(/float literals are not supported/);
  });

  it('reads char literals', () => {
    expect(tokenize("',' '\\n'").slice(0, 2).map((t) => [t.kind, t.value])).toEqual([
      ['char', ','],
      ['char', '\n'],
    ]);
  });

  it('skips line and block comments', () => {
    expect(kinds('a // note\n + /* x */ b')).toEqual(['identifier:a', 'punct:+', 'identifier:b', 'eof:']);
  });

  it('records interpolation holes by absolute range, with alignment and format', () => {
    const text = '$"id={x,5:D3} {{lit}} {f("}")}"';
    const [t] = tokenize(text);
    expect(t?.kind).toBe('interpolated');
    const parts = t?.parts ?? [];
    expect(parts[0]).toEqual({ kind: 'text', value: 'id=' });
    const hole = parts[1];
    expect(hole?.kind).toBe('hole');
    if (hole?.kind === 'hole') {
      expect(text.slice(hole.start, hole.end)).toBe('x');
      expect(hole.alignment && text.slice(hole.alignment.start, hole.alignment.end)).toBe('5');
      expect(hole.format).toBe('D3');
    }
    expect(parts[2]).toEqual({ kind: 'text', value: ' {lit} ' });
    const nested = parts[3];
    // A '}' inside a string literal in the hole does not end the hole.
    expect(nested?.kind === 'hole' && text.slice(nested.start, nested.end)).toBe('f("}")');
  });

  it('reports unterminated strings at the opening quote', () => {
    try {
      tokenize('x + "abc');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ExpressionError);
      expect((e as ExpressionError).offset).toBe(4);
      expect((e as ExpressionError).message).toMatch(/unterminated string literal/);
    }
  });

  it('rejects a newline inside a regular string', () => {
    expect(() => tokenize('"a\nb"')).toThrow(/unterminated string literal/);
  });

  it('rejects unknown characters with their position', () => {
    expect(() => tokenize('a # b')).toThrow("unexpected character '#' at 1:3");
  });

  it('tokenizes only the requested range', () => {
    const tokens = tokenize('@(abc)', 2, 5);
    expect(tokens.map((t) => t.text)).toEqual(['abc', '']);
    expect(tokens[1]?.start).toBe(5);
  });
});
