import { describe, it, expect } from 'vitest';
import {
  IMAGE_PART_TOKENS,
  countChatPromptTokens,
  countEmbeddingInputTokens,
  countTextTokens,
  encodingForModel,
  estimatePromptTokensByCharacters,
} from './tokens.ts';
import type { ChatMessageInput, EncodingName } from './tokens.ts';

describe('encodingForModel', () => {
  const table: Array<[string, EncodingName]> = [
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini', 'o200k_base'],
    ['gpt-4o-2024-08-06', 'o200k_base'],
    ['gpt-4o-realtime-preview', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-4.1-nano', 'o200k_base'],
    ['gpt-4.5-preview', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-5-mini', 'o200k_base'],
    ['gpt-5.1-chat', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o1-mini', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o3-pro', 'o200k_base'],
    ['o4-mini', 'o200k_base'],
    ['GPT-4O', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-32k', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-4-turbo-2024-04-09', 'cl100k_base'],
    ['gpt-35-turbo', 'cl100k_base'],
    ['gpt-35-turbo-16k', 'cl100k_base'],
    ['gpt-35-turbo-instruct', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['text-embedding-ada-002', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['text-embedding-3-large', 'cl100k_base'],
    ['davinci-002', 'cl100k_base'],
    ['babbage-002', 'cl100k_base'],
    ['omni-moderation-latest', 'cl100k_base'],
    ['some-future-model', 'cl100k_base'],
  ];
  it.each(table)('%s uses %s', (model, expected) => {
    expect(encodingForModel(model)).toBe(expected);
  });
});

describe('countTextTokens', () => {
  it('counts nothing for empty text', () => {
    expect(countTextTokens('', 'gpt-4o')).toBe(0);
  });

  it('splits plain English the same way in both encodings', () => {
    // "Hello" "," " world" "!"
    expect(countTextTokens('Hello, world!', 'gpt-4o')).toBe(4);
    expect(countTextTokens('Hello, world!', 'gpt-4')).toBe(4);
  });

  it('uses the model encoding: the cookbook example differs between cl100k and o200k', () => {
    // Published in the OpenAI cookbook (How_to_count_tokens_with_tiktoken, compare_encodings):
    // cl100k_base 9 tokens, o200k_base 8 tokens.
    expect(countTextTokens('お誕生日おめでとう', 'gpt-35-turbo')).toBe(9);
    expect(countTextTokens('お誕生日おめでとう', 'gpt-4o-mini')).toBe(8);
  });

  it('treats special-token text as ordinary text instead of throwing', () => {
    // "<" "|" "end" "of" "text" "|" ">" in o200k; "<" "|" "endo" "ft" "ext" "|" ">" in cl100k.
    expect(countTextTokens('<|endoftext|>', 'gpt-4o')).toBe(7);
    expect(countTextTokens('<|endoftext|>', 'gpt-4')).toBe(7);
  });

  it('returns the same count when a cached string is counted again', () => {
    const sentence = 'The quick brown fox jumps over the lazy dog.';
    expect(countTextTokens(sentence, 'gpt-4o')).toBe(10);
    expect(countTextTokens(sentence, 'gpt-4o')).toBe(10);
    expect(countTextTokens(sentence, 'gpt-4')).toBe(10);
  });
});

describe('countChatPromptTokens', () => {
  // The cookbook's own example, whose counts the cookbook checked against the API's
  // prompt_tokens: 129 for gpt-3.5-turbo / gpt-4 (cl100k), 124 for gpt-4o / gpt-4o-mini.
  const cookbookMessages: ChatMessageInput[] = [
    {
      role: 'system',
      content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
    },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    {
      role: 'system',
      name: 'example_user',
      content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
    },
    { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
    {
      role: 'user',
      content: "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
  ];

  it('matches the API-verified cookbook counts', () => {
    expect(countChatPromptTokens(cookbookMessages, 'gpt-35-turbo')).toBe(129);
    expect(countChatPromptTokens(cookbookMessages, 'gpt-4')).toBe(129);
    expect(countChatPromptTokens(cookbookMessages, 'gpt-4o')).toBe(124);
    expect(countChatPromptTokens(cookbookMessages, 'gpt-4o-mini')).toBe(124);
  });

  it('charges only the reply priming for no messages', () => {
    expect(countChatPromptTokens([], 'gpt-4o')).toBe(3);
  });

  it('counts one message as wrapper + role + content + priming', () => {
    // 3 (wrapper) + 1 ("user") + 4 ("Hello, world!") + 3 (priming)
    expect(countChatPromptTokens([{ role: 'user', content: 'Hello, world!' }], 'gpt-4o')).toBe(11);
  });

  it('adds the name tokens plus one for a named message', () => {
    // 3 + 1 ("system") + 2 ("example" "_user") + 1 (name) + 2 ("Sure" ".") + 3
    expect(countChatPromptTokens([{ role: 'system', name: 'example_user', content: 'Sure.' }], 'gpt-4')).toBe(12);
  });

  it('sums several messages', () => {
    const messages: ChatMessageInput[] = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Hello, world!' },
      { role: 'assistant', content: 'Sure.' },
    ];
    // (3 + 1 + 6) + (3 + 1 + 4) + (3 + 1 + 2) + 3
    expect(countChatPromptTokens(messages, 'gpt-4.1')).toBe(27);
  });

  it('counts text parts and a fixed cost per image part', () => {
    const messages: ChatMessageInput[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this image?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ];
    expect(IMAGE_PART_TOKENS).toBe(85);
    // 3 + 1 ("user") + 6 ("What" " is" " in" " this" " image" "?") + 85 + 85 + 3
    expect(countChatPromptTokens(messages, 'gpt-4o')).toBe(183);
  });

  it('skips null content and counts tool_call_id as a string value', () => {
    // 3 + 1 ("tool") + 4 ("call" "_" "abc" "123") + 2 ("Sure" ".") + 3
    expect(countChatPromptTokens([{ role: 'tool', tool_call_id: 'call_abc123', content: 'Sure.' }], 'gpt-4o')).toBe(13);
    // 3 + 1 ("assistant") + 3
    expect(countChatPromptTokens([{ role: 'assistant', content: null }], 'gpt-4o')).toBe(7);
  });

  it('approximates tool_calls and tool definitions by the tokens of their JSON text', () => {
    const toolCalls = [
      { id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ];
    const tools = [
      {
        type: 'function',
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const toolCallsTokens = countTextTokens(JSON.stringify(toolCalls), 'gpt-4o');
    const toolsTokens = countTextTokens(JSON.stringify(tools), 'gpt-4o');
    expect(toolCallsTokens).toBeGreaterThan(10);
    expect(toolsTokens).toBeGreaterThan(10);

    const messages: ChatMessageInput[] = [{ role: 'assistant', content: null, tool_calls: toolCalls }];
    // 3 + 1 ("assistant") + JSON(tool_calls) + 3
    expect(countChatPromptTokens(messages, 'gpt-4o')).toBe(7 + toolCallsTokens);
    expect(countChatPromptTokens(messages, 'gpt-4o', { tools })).toBe(7 + toolCallsTokens + toolsTokens);
    expect(countChatPromptTokens(messages, 'gpt-4o', { functions: tools })).toBe(7 + toolCallsTokens + toolsTokens);
  });
});

describe('countEmbeddingInputTokens', () => {
  it('counts a single text', () => {
    expect(countEmbeddingInputTokens('Hello, world!', 'text-embedding-3-small')).toBe(4);
  });

  it('sums a list of texts', () => {
    expect(countEmbeddingInputTokens(['Hello, world!', 'Sure.'], 'text-embedding-ada-002')).toBe(6);
  });

  it('counts token ids one each', () => {
    expect(countEmbeddingInputTokens([9906, 11, 1917, 0], 'text-embedding-3-large')).toBe(4);
    expect(countEmbeddingInputTokens([[1, 2], [3, 4, 5]], 'text-embedding-3-large')).toBe(5);
  });

  it('counts nothing for an empty list', () => {
    expect(countEmbeddingInputTokens([], 'text-embedding-3-small')).toBe(0);
  });
});

describe('estimatePromptTokensByCharacters', () => {
  it('rounds characters / 4 up', () => {
    expect(estimatePromptTokensByCharacters(0)).toBe(0);
    expect(estimatePromptTokensByCharacters(1)).toBe(1);
    expect(estimatePromptTokensByCharacters(4)).toBe(1);
    expect(estimatePromptTokensByCharacters(5)).toBe(2);
    expect(estimatePromptTokensByCharacters(4001)).toBe(1001);
  });

  it('rejects impossible character counts', () => {
    expect(() => estimatePromptTokensByCharacters(-1)).toThrow(RangeError);
    expect(() => estimatePromptTokensByCharacters(Number.NaN)).toThrow(RangeError);
  });
});
