import { describe, expect, it } from 'vitest';
import { parseXml, XmlSyntaxError } from './xml-tree.ts';

describe('parseXml', () => {
  it('records element, attribute and text positions', () => {
    const src = '<a x="1">\n  hi <b y="2"/>tail</a>';
    const root = parseXml(src);
    expect(root).toMatchObject({ name: 'a', start: 0, end: src.length, innerStart: 9, innerEnd: src.length - 4 });
    expect(root.attributes[0]).toMatchObject({ name: 'x', value: { text: '1' }, valueStart: 6 });
    expect(root.content.map((c) => (c.kind === 'text' ? c.value.text : `<${c.name}>`))).toEqual(['\n  hi ', '<b>', 'tail']);
    const b = root.content[1];
    expect(b?.kind === 'element' && [b.start, b.end, b.innerStart, b.innerEnd]).toEqual([15, 25, 25, 25]);
  });

  it('drops whitespace-only text', () => {
    expect(parseXml('<a>\n  <b />\n</a>').content.map((c) => c.kind)).toEqual(['element']);
  });

  it('throws XmlSyntaxError with the offset of the problem', () => {
    const attempt = (src: string) => {
      try {
        parseXml(src);
      } catch (err) {
        return err instanceof XmlSyntaxError ? [err.message, err.offset, err.element] : err;
      }
      return 'parsed';
    };
    expect(attempt('<a><b></a>')).toEqual(['unexpected close tag.', 9, undefined]);
    expect(attempt('<a x="1" x="2"/>')).toEqual(['duplicate attribute: x.', 9, undefined]);
    expect(attempt('<a>\n<b>')).toEqual(['unclosed tag: b', 4, 'b']);
    expect(attempt('')).toEqual(['document must contain a root element.', 0, undefined]);
  });
});
