import { describe, expect, it } from 'vitest';
import { TokenCountCache } from './token-count-cache.ts';

describe('TokenCountCache', () => {
  it('answers a remembered count and nothing for an unknown string', () => {
    const cache = new TokenCountCache(1000, 100);
    cache.remember('hello world', 2);
    expect(cache.lookup('hello world')).toBe(2);
    expect(cache.lookup('hello')).toBeUndefined();
  });

  it('counts a string remembered twice once', () => {
    const cache = new TokenCountCache(1000, 100);
    cache.remember('hello world', 2);
    cache.remember('hello world', 2);
    expect(cache.heldCharacters).toBe('hello world'.length);
  });

  it('never remembers a string longer than the limit', () => {
    const cache = new TokenCountCache(1000, 10);
    cache.remember('x'.repeat(11), 3);
    expect(cache.lookup('x'.repeat(11))).toBeUndefined();
    expect(cache.heldCharacters).toBe(0);
  });

  it('holds no more than its character budget, give or take one string, however many strings pass', () => {
    const cache = new TokenCountCache(1000, 100);
    for (let i = 0; i < 10_000; i++) {
      cache.remember(`unique prompt number ${i}`, i);
      expect(cache.heldCharacters).toBeLessThanOrEqual(1000 + 100);
    }
    // The latest strings are still there; the first ones are long gone.
    expect(cache.lookup('unique prompt number 9999')).toBe(9999);
    expect(cache.lookup('unique prompt number 0')).toBeUndefined();
  });

  it('keeps a string that is used on every generation, while strings used once pass through', () => {
    const cache = new TokenCountCache(1000, 100);
    cache.remember('the system prompt', 7);
    for (let i = 0; i < 10_000; i++) {
      // The system prompt comes with every request; each user prompt is new.
      if (i % 10 === 0) expect(cache.lookup('the system prompt'), `request ${i}`).toBe(7);
      cache.remember(`user prompt ${i}`, i);
    }
  });
});
