/**
 * What each model can do. Azure rejects an operation a model does not support with 400
 * OperationNotSupported, so the fleet needs to know which endpoint a deployment serves.
 */
export type Operation = 'chat' | 'completions' | 'embeddings';

export interface ModelInfo {
  operations: readonly Operation[];
  /** Context window in tokens: prompt plus completion must fit. */
  contextWindow: number;
  /** Largest completion a request may ask for. */
  maxOutputTokens: number;
}

const chat = (contextWindow: number, maxOutputTokens: number): ModelInfo => ({ operations: ['chat'], contextWindow, maxOutputTokens });

const catalog: Record<string, ModelInfo> = {
  'gpt-4o': chat(128_000, 16_384),
  'gpt-4o-mini': chat(128_000, 16_384),
  'gpt-4.1': chat(1_047_576, 32_768),
  'gpt-4.1-mini': chat(1_047_576, 32_768),
  'gpt-4.1-nano': chat(1_047_576, 32_768),
  'gpt-4': chat(8_192, 8_192),
  'gpt-4-turbo': chat(128_000, 4_096),
  'gpt-35-turbo': chat(16_385, 4_096),
  'gpt-35-turbo-instruct': { operations: ['completions'], contextWindow: 4_097, maxOutputTokens: 4_097 },
  'davinci-002': { operations: ['completions'], contextWindow: 16_384, maxOutputTokens: 16_384 },
  'babbage-002': { operations: ['completions'], contextWindow: 16_384, maxOutputTokens: 16_384 },
  'text-embedding-3-small': { operations: ['embeddings'], contextWindow: 8_191, maxOutputTokens: 0 },
  'text-embedding-3-large': { operations: ['embeddings'], contextWindow: 8_191, maxOutputTokens: 0 },
  'text-embedding-ada-002': { operations: ['embeddings'], contextWindow: 8_191, maxOutputTokens: 0 },
};

export const knownModels: readonly string[] = Object.keys(catalog);

export function modelInfo(model: string): ModelInfo | undefined {
  return catalog[model];
}
