import { describe, expect, it } from 'vitest';
import { fillerPrompt } from './prompt.ts';
import { seededRandom } from './random.ts';

describe('fillerPrompt', () => {
  it('has exactly the asked number of words, repeatably', () => {
    const text = fillerPrompt(40, seededRandom(5));
    expect(text.split(' ')).toHaveLength(40);
    expect(fillerPrompt(40, seededRandom(5))).toBe(text);
    expect(fillerPrompt(40, seededRandom(6))).not.toBe(text);
  });

  it('is plain lower-case words', () => {
    expect(fillerPrompt(200, seededRandom(1))).toMatch(/^[a-z]+( [a-z]+)*$/);
    expect(fillerPrompt(0, seededRandom(1))).toBe('');
  });
});
