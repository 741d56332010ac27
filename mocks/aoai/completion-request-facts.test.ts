import { describe, expect, it } from 'vitest';
import { analyzeCompletionBody } from './completion-request-facts.ts';
import { countChatPromptTokens, countTextTokens } from './tokens.ts';

const messages = [
  { role: 'system', content: 'Réponds en japonais, brièvement.' },
  { role: 'user', content: 'こんにちは、世界。今日はいい天気ですね。' },
];
const chatBody = JSON.stringify({ messages, max_tokens: 40, stream: true, stream_options: { include_usage: true } });

describe('analyzeCompletionBody', () => {
  it('gives the validated values, the tokenizer count and the character count of a chat body', () => {
    const analysis = analyzeCompletionBody(chatBody, 'chat', 'gpt-4o');
    expect(analysis).toEqual({
      ok: true,
      facts: {
        maxTokens: 40,
        stream: true,
        includeUsage: true,
        promptTokens: countChatPromptTokens(messages, 'gpt-4o'),
        promptCharacters: messages.reduce((sum, m) => sum + m.role.length + m.content.length, 0),
      },
    });
  });

  it('counts the same body with each model its own tokenizer, however often it was seen', () => {
    const o200k = countChatPromptTokens(messages, 'gpt-4o');
    const cl100k = countChatPromptTokens(messages, 'gpt-4');
    // The body is chosen so that the two encodings disagree; otherwise this test proves nothing.
    expect(o200k).not.toBe(cl100k);
    for (let round = 0; round < 3; round++) {
      for (const [model, expected] of [['gpt-4o', o200k], ['gpt-4', cl100k], ['gpt-4o-mini', o200k]] as const) {
        const analysis = analyzeCompletionBody(chatBody, 'chat', model);
        expect(analysis.ok && analysis.facts.promptTokens, model).toBe(expected);
      }
    }
  });

  it('remembers a valid body (the same frozen answer) but not one over the length limit', () => {
    const first = analyzeCompletionBody(chatBody, 'chat', 'gpt-4o');
    expect(analyzeCompletionBody(chatBody, 'chat', 'gpt-4o')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first.ok && Object.isFrozen(first.facts)).toBe(true);

    const long = JSON.stringify({ messages: [{ role: 'user', content: 'word '.repeat(2000) }] });
    const once = analyzeCompletionBody(long, 'chat', 'gpt-4o');
    const again = analyzeCompletionBody(long, 'chat', 'gpt-4o');
    expect(again).not.toBe(once);
    expect(again).toEqual(once);
    expect(once.ok && once.facts.promptTokens).toBe(countChatPromptTokens([{ role: 'user', content: 'word '.repeat(2000) }], 'gpt-4o'));
  });

  it('keeps a chat body and the same text sent as a legacy completion apart', () => {
    const body = JSON.stringify({ prompt: 'Once upon a time', messages: [{ role: 'user', content: 'Hi' }] });
    const chat = analyzeCompletionBody(body, 'chat', 'gpt-35-turbo-instruct');
    const legacy = analyzeCompletionBody(body, 'completions', 'gpt-35-turbo-instruct');
    expect(chat.ok && chat.facts.promptTokens).toBe(countChatPromptTokens([{ role: 'user', content: 'Hi' }], 'gpt-35-turbo-instruct'));
    expect(legacy).toEqual({
      ok: true,
      // The legacy API defaults max_tokens to 16.
      facts: { maxTokens: 16, stream: false, includeUsage: false, promptTokens: countTextTokens('Once upon a time', 'gpt-35-turbo-instruct'), promptCharacters: 16 },
    });
  });

  it('tells a body that is not JSON from a JSON body that is not a valid request, every time', () => {
    for (let round = 0; round < 2; round++) {
      const malformed = analyzeCompletionBody('{"messages": [', 'chat', 'gpt-4o');
      expect(malformed.ok === false && malformed.stage).toBe('json');
      expect(malformed.ok === false && malformed.error.status).toBe(400);

      const missing = analyzeCompletionBody('{"max_tokens": 5}', 'chat', 'gpt-4o');
      expect(missing.ok === false && missing.stage).toBe('request');
      expect(missing.ok === false && missing.error.body.error.message).toBe("'messages' is a required property");
    }
  });
});
