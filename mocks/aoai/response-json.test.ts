import { describe, expect, it } from 'vitest';
import { chatCompletionBody, completionId, textCompletionBody, usage, type AnswerMeta } from './response-bodies.ts';
import { chatCompletionJson, textCompletionJson, usageJson } from './response-json.ts';

/** The JSON twins must write byte for byte what JSON.stringify writes for the object bodies. */
describe('completion bodies as JSON text', () => {
  const metas: AnswerMeta[] = [
    { id: completionId('chatcmpl'), created: 1_763_780_000, model: 'gpt-4o' },
    { id: completionId('cmpl'), created: 0, model: 'not-in-the-catalog "quoted"' },
    { id: 'id-with-\u2028-and-\ud800', created: Number.NaN, model: 'gpt-35-turbo-instruct' },
  ];
  const texts = ['', ' The river of the world.', 'quotes " and \\ backslashes, \n new lines, \t tabs, \u0001 controls', 'ünïcødé ✓ 🚀 and a lone \udc00 surrogate'];
  const uses = [usage(0, 0), usage(15, 20), usage(123_456_789, 7, 3), { ...usage(1, 2), total_tokens: Number.POSITIVE_INFINITY }];

  it('writes the chat completion body JSON.stringify writes', () => {
    for (const meta of metas) {
      for (const text of texts) {
        for (const use of uses) {
          for (const finish of ['stop', 'length']) {
            expect(chatCompletionJson(meta, text, finish, use)).toBe(JSON.stringify(chatCompletionBody(meta, text, finish, use)));
          }
        }
      }
    }
  });

  it('writes the text completion body JSON.stringify writes', () => {
    for (const meta of metas) {
      for (const text of texts) {
        for (const use of uses) {
          expect(textCompletionJson(meta, text, 'length', use)).toBe(JSON.stringify(textCompletionBody(meta, text, 'length', use)));
        }
      }
    }
  });

  it('writes usage as JSON.stringify writes it', () => {
    for (const use of uses) expect(usageJson(use)).toBe(JSON.stringify(use));
  });
});
