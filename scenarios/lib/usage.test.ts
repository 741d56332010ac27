import { describe, expect, it } from 'vitest';
import { usageFromJson, usageFromSse, usageOf } from './usage.ts';

const frame = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
const azureStream = [
  frame({ choices: [], id: '', prompt_filter_results: [] }),
  frame({ choices: [{ delta: { role: 'assistant', content: '' } }], usage: null }),
  frame({ choices: [{ delta: { content: 'Hello' } }], usage: null }),
  frame({ choices: [{ delta: {}, finish_reason: 'stop' }], usage: null }),
  frame({ choices: [], usage: { prompt_tokens: 29, completion_tokens: 20, total_tokens: 49 } }),
  'data: [DONE]\n\n',
].join('');

describe('usage', () => {
  it('reads a chat completion and an embeddings answer', () => {
    expect(usageFromJson(JSON.stringify({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 } }))).toEqual({ promptTokens: 12, completionTokens: 30 });
    expect(usageFromJson(JSON.stringify({ data: [], usage: { prompt_tokens: 7, total_tokens: 7 } }))).toEqual({ promptTokens: 7, completionTokens: 0 });
  });

  it('reads the usage frame of a stream', () => {
    expect(usageFromSse(azureStream)).toEqual({ promptTokens: 29, completionTokens: 20 });
    expect(usageFromSse(azureStream.replace(/\n/g, '\r\n'))).toEqual({ promptTokens: 29, completionTokens: 20 });
  });

  it('gives zeros for a stream cut short and for unreadable bodies', () => {
    expect(usageFromSse(azureStream.slice(0, azureStream.indexOf('"finish_reason"')))).toEqual({ promptTokens: 0, completionTokens: 0 });
    expect(usageFromJson('not json')).toEqual({ promptTokens: 0, completionTokens: 0 });
    expect(usageFromJson('{"usage": "lots"}')).toEqual({ promptTokens: 0, completionTokens: 0 });
  });

  it('reads a JSON body even when a stream was asked for', () => {
    expect(usageOf(azureStream, true)).toEqual({ promptTokens: 29, completionTokens: 20 });
    expect(usageOf('{"usage":{"prompt_tokens":3,"completion_tokens":4}}', true)).toEqual({ promptTokens: 3, completionTokens: 4 });
  });
});
