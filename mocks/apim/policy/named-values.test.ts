import { describe, expect, it } from 'vitest';
import { substituteNamedValues } from './named-values.ts';
import { SourceMap } from './source-map.ts';

describe('substituteNamedValues', () => {
  it('replaces every reference, exact name first, then case-insensitively', () => {
    const result = substituteNamedValues('a={{one}} b={{TWO}} c={{one}}', new Map([['one', '1'], ['two', 'II'], ['TWO', '2']]));
    expect(result.text).toBe('a=1 b=2 c=1');
    expect(substituteNamedValues('{{Key}}', new Map([['key', 'v']])).text).toBe('v');
    expect(result.unresolved).toEqual([]);
  });

  it('leaves unknown references in place and lists them', () => {
    const result = substituteNamedValues('x {{nope}} {{a}}', new Map([['a', 'AAAA']]));
    expect(result.text).toBe('x {{nope}} AAAA');
    expect(result.unresolved).toEqual([{ start: 2, end: 10, origStart: 2, origEnd: 10, name: 'nope' }]);
  });

  it('does not substitute inside values or non-name braces', () => {
    expect(substituteNamedValues('{{a}} {{ spaced }} {{b c}}', new Map([['a', '{{a}}']])).text).toBe('{{a}} {{ spaced }} {{b c}}');
  });

  it('maps substituted offsets back to the original text, newlines in values included', () => {
    const original = 'l1 {{v}}\nl2 target';
    const result = substituteNamedValues(original, new Map([['v', 'x\ny\nz']]));
    const map = new SourceMap('f.xml', original, [result.replacements]);
    expect(map.at(result.text.indexOf('target'))).toEqual({ file: 'f.xml', line: 2, column: 4 });
    expect(map.at(result.text.indexOf('y'))).toEqual({ file: 'f.xml', line: 1, column: 4 });
  });
});
