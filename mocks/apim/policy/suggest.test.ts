import { describe, expect, it } from 'vitest';
import { closest, didYouMean } from './suggest.ts';

describe('closest', () => {
  it('suggests near misses, transpositions included', () => {
    expect(closest('set-heder', ['set-header', 'set-body'])).toBe('set-header');
    expect(closest('cxt', ['ctx', 'abc-def'])).toBe('ctx');
    expect(closest('inbnd', ['inbound', 'outbound'])).toBe('inbound');
  });

  it('does not suggest unrelated names', () => {
    expect(closest('frobnicate', ['set-header', 'choose'])).toBeUndefined();
    expect(didYouMean('zz', ['ab'])).toBe('');
    expect(didYouMean('valu', ['value'])).toBe(" (did you mean 'value'?)");
  });
});
