import { describe, it, expect } from 'vitest';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { completionText, completionTokens } from './completion-text.ts';

// Counted with the tokenizer directly, not through tokens.ts, so a fault in the mock's own
// counting cannot hide a fault here.
const models = [
  { model: 'gpt-4o', encode: encodeO200k },
  { model: 'gpt-35-turbo', encode: encodeCl100k },
] as const;

describe('completionTokens', () => {
  for (const { model, encode } of models) {
    describe(model, () => {
      it.each([0, 1, 2, 7, 100, 1000])('produces %i elements that re-tokenize to exactly that many tokens', (count) => {
        const tokens = completionTokens(count, model, 42);
        expect(tokens).toHaveLength(count);
        expect(encode(tokens.join('')).length).toBe(count);
        for (const token of tokens) expect(encode(token).length).toBe(1);
      });

      it('stays exact across many seeds and odd lengths', () => {
        for (let seed = 0; seed < 40; seed += 1) {
          const count = 37 + seed * 13;
          expect(encode(completionTokens(count, model, seed).join('')).length).toBe(count);
        }
      });

      it('reads as sentences: a bare capitalised opener, spaced words, full stops', () => {
        const tokens = completionTokens(200, model, 7);
        expect(tokens[0]).toMatch(/^[A-Z][a-z]*$/);
        for (const token of tokens.slice(1)) expect(token).toMatch(/^(?: [A-Za-z]+|\.)$/);
        // Sentences are at most 16 words, so 200 tokens hold several full stops.
        expect(tokens.filter((token) => token === '.').length).toBeGreaterThanOrEqual(11);
        // A full stop is always followed by a spaced capitalised opener.
        tokens.forEach((token, index) => {
          const next = tokens[index + 1];
          if (token === '.' && next !== undefined) expect(next).toMatch(/^ [A-Z][a-z]*$/);
        });
      });
    });
  }

  it('is deterministic per seed and differs across seeds', () => {
    expect(completionTokens(100, 'gpt-4o', 1)).toEqual(completionTokens(100, 'gpt-4o', 1));
    expect(completionTokens(100, 'gpt-4o', 1)).not.toEqual(completionTokens(100, 'gpt-4o', 2));
  });

  it('returns a prefix of the longer text for the same seed', () => {
    expect(completionTokens(10, 'gpt-4o', 5)).toEqual(completionTokens(50, 'gpt-4o', 5).slice(0, 10));
  });

  it('rejects counts that are not non-negative integers', () => {
    expect(() => completionTokens(-1, 'gpt-4o', 1)).toThrow(RangeError);
    expect(() => completionTokens(2.5, 'gpt-4o', 1)).toThrow(RangeError);
    expect(() => completionText(-1, 'gpt-4o', 1)).toThrow(RangeError);
  });

  it('gives the same completion as one string: the tokens joined', () => {
    for (const model of ['gpt-4o', 'gpt-4', 'gpt-35-turbo-instruct']) {
      for (const count of [0, 1, 7, 20, 333]) {
        for (const seed of [0, 1, 0xdeadbeef]) expect(completionText(count, model, seed)).toBe(completionTokens(count, model, seed).join(''));
      }
    }
  });
});
