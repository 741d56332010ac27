import { describe, expect, it } from 'vitest';
import { headerMap, messageBody, queryMap, urlView } from './context-builders.ts';

describe('headerMap', () => {
  it('keys by lower-case name and accumulates repeated headers in order', () => {
    const h = headerMap([
      ['X-Priority', 'high'],
      ['Accept', 'a'],
      ['accept', 'b'],
    ]);
    expect(h.get('x-priority')).toEqual(['high']);
    expect(h.get('accept')).toEqual(['a', 'b']);
    expect(h.get('X-Priority')).toBeUndefined();
  });

  it('accepts Node-style records with array values and skips undefined', () => {
    const h = headerMap({ 'Set-Cookie': ['a=1', 'b=2'], Host: 'x', Missing: undefined });
    expect(h.get('set-cookie')).toEqual(['a=1', 'b=2']);
    expect(h.get('missing')).toBeUndefined();
  });
});

describe('queryMap and urlView', () => {
  it('keeps query names exact and repeated values in order', () => {
    const q = queryMap('?a=1&a=2&B=3');
    expect(q.get('a')).toEqual(['1', '2']);
    expect(q.get('b')).toBeUndefined();
  });

  it('splits a URL into the IUrl parts with the default port filled in', () => {
    const u = urlView('https://contoso.azure-api.net/openai/chat%20x?api-version=1');
    expect([u.scheme, u.host, u.port, u.path, u.queryString]).toEqual(['https', 'contoso.azure-api.net', 443, '/openai/chat x', '?api-version=1']);
    expect(urlView('http://localhost:8080/').port).toBe(8080);
  });
});

describe('messageBody', () => {
  it('produces text lazily and parses JSON at most once', () => {
    let produced = 0;
    const b = messageBody(() => {
      produced++;
      return '{"a":1}';
    });
    expect(produced).toBe(0);
    const first = b.json();
    expect(b.json()).toBe(first);
    expect(b.text()).toBe('{"a":1}');
    expect(produced).toBe(1);
  });

  it('reads empty after consume(), like a stream read without preserveContent', () => {
    const b = messageBody('{"a":1}');
    b.json();
    b.consume();
    expect(b.text()).toBe('');
    expect(() => b.json()).toThrow(SyntaxError);
  });
});
