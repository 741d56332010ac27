import { countChatPromptTokens, countEmbeddingInputTokens, countTextTokens, type ChatMessageInput } from '../../aoai/tokens.ts';
import type { LlmUsage } from './request-state.ts';

/**
 * Token counts for LLM requests as the gateway sees them. The gateway does not know the
 * deployment's model; it tokenizes with the request's `model` field when there is one and
 * with gpt-4o's encoding otherwise (documented in docs/apim-emulator.md).
 */
const defaultModel = 'gpt-4o';

export interface PromptEstimate {
  tokens: number;
  model: string;
  stream: boolean;
}

/** The prompt-token estimate llm-token-limit uses with estimate-prompt-tokens or streaming. */
export function estimatePromptTokens(body: unknown): PromptEstimate | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const request = body as Record<string, unknown>;
  const model = typeof request.model === 'string' ? request.model : defaultModel;
  const stream = request.stream === true;
  try {
    if (Array.isArray(request.messages)) return { tokens: countChatPromptTokens(request.messages as ChatMessageInput[], model, { tools: request.tools, functions: request.functions }), model, stream };
    if (typeof request.prompt === 'string') return { tokens: countTextTokens(request.prompt, model), model, stream };
    const input = request.input;
    if (typeof input === 'string' || Array.isArray(input)) return { tokens: countEmbeddingInputTokens(input as string | string[], model), model, stream: false };
  } catch {
    return null;
  }
  return null;
}

/**
 * estimatePromptTokens of a request body as sent (null when it is empty or not JSON). A request
 * can need it twice (the token limit, then a streamed answer's tap): RequestState keeps it.
 */
export function estimateRequestBody(bytes: Buffer): PromptEstimate | null {
  let body: unknown = null;
  try {
    body = bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : null;
  } catch {
    body = null;
  }
  return estimatePromptTokens(body);
}

/**
 * Usage from a buffered JSON answer (chat, completions, embeddings). A request can need it
 * twice (tokens-consumed variables, then the LLM log): RequestState keeps it.
 */
export function usageFromJsonAnswer(bytes: Buffer): LlmUsage | null {
  let answer: unknown;
  try {
    answer = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (!answer || typeof answer !== 'object') return null;
  const { usage, model } = answer as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown }; model?: unknown };
  if (!usage || typeof usage.prompt_tokens !== 'number') return null;
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
    model: typeof model === 'string' ? model : null,
    stream: false,
    reported: true,
  };
}

/**
 * Watches an event stream pass through: collects the streamed text so completion tokens can
 * be counted, and keeps the usage frame if the backend sends one (with include_usage).
 */
export class SseUsageTap {
  #pending = '';
  #text = '';
  #usage: { prompt: number; completion: number } | null = null;
  #model: string | null = null;
  readonly #promptEstimate: number;
  readonly #tokenizerModel: string;

  constructor(promptEstimate: number, tokenizerModel: string) {
    this.#promptEstimate = promptEstimate;
    this.#tokenizerModel = tokenizerModel;
  }

  push(chunk: Buffer): void {
    this.#pending += chunk.toString('utf8');
    let boundary = this.#pending.indexOf('\n\n');
    while (boundary >= 0) {
      this.#frame(this.#pending.slice(0, boundary));
      this.#pending = this.#pending.slice(boundary + 2);
      boundary = this.#pending.indexOf('\n\n');
    }
  }

  #frame(frame: string): void {
    for (const line of frame.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]' || data === '') continue;
      try {
        const payload = JSON.parse(data) as { model?: string; choices?: { delta?: { content?: string }; text?: string }[]; usage?: { prompt_tokens: number; completion_tokens: number } | null };
        if (payload.model) this.#model = payload.model;
        for (const choice of payload.choices ?? []) this.#text += choice.delta?.content ?? choice.text ?? '';
        if (payload.usage) this.#usage = { prompt: payload.usage.prompt_tokens, completion: payload.usage.completion_tokens };
      } catch {
        // A frame that is not JSON carries no tokens.
      }
    }
  }

  result(): LlmUsage {
    if (this.#usage) return { promptTokens: this.#usage.prompt, completionTokens: this.#usage.completion, model: this.#model, stream: true, reported: true };
    return { promptTokens: this.#promptEstimate, completionTokens: countTextTokens(this.#text, this.#tokenizerModel), model: this.#model, stream: true, reported: false };
  }
}
