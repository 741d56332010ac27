import { describe, expect, it } from 'vitest';
import { completionId } from './response-bodies.ts';

describe('completionId', () => {
  it('gives the prefix and 29 url-safe characters, never the same twice across refills of its pool', () => {
    const ids = new Set<string>();
    // 256 ids per pool: this crosses several refills, and a refill's first id.
    for (let i = 0; i < 2000; i++) {
      const id = completionId(i % 2 === 0 ? 'chatcmpl' : 'cmpl');
      expect(id).toMatch(i % 2 === 0 ? /^chatcmpl-[A-Za-z0-9_-]{29}$/ : /^cmpl-[A-Za-z0-9_-]{29}$/);
      ids.add(id.slice(id.indexOf('-') + 1));
    }
    expect(ids.size).toBe(2000);
  });

  it('uses every character of the alphabet (six random bits each), not a narrower set', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) for (const character of completionId('chatcmpl').slice('chatcmpl-'.length)) seen.add(character);
    expect(seen.size).toBe(64);
  });
});
