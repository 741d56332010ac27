import { describe, expect, it } from 'vitest';
import { decodeXml, scanStartTag } from './xml-text.ts';

describe('decodeXml', () => {
  it('decodes entities and character references, mapping each character to its source', () => {
    const src = 'a&amp;b&#65;&#x42;';
    const d = decodeXml(src, 0, src.length, 'text');
    expect(d.text).toBe('a&bAB');
    expect(d.offsets).toEqual([0, 1, 6, 7, 12, 18]);
  });

  it('normalises whitespace in attributes only', () => {
    expect(decodeXml('a\n\tb', 0, 4, 'attribute').text).toBe('a  b');
    expect(decodeXml('a\n\tb', 0, 4, 'text').text).toBe('a\n\tb');
  });

  it('copies CDATA and drops comments in text', () => {
    const src = 'x<![CDATA[<&>]]>y<!-- c -->z';
    const d = decodeXml(src, 0, src.length, 'text');
    expect(d.text).toBe('x<&>yz');
    expect(d.offsets.slice(0, 4)).toEqual([0, 10, 11, 12]);
  });
});

describe('scanStartTag', () => {
  it('finds attribute names and value ranges', () => {
    const src = '<a  x = "1" y=\'two\'/>';
    const { attributes, end } = scanStartTag(src, 0);
    expect(attributes.map((a) => [a.name, src.slice(a.valueStart, a.valueEnd), a.nameStart])).toEqual([
      ['x', '1', 4],
      ['y', 'two', 12],
    ]);
    expect(end).toBe(src.length);
  });
});
