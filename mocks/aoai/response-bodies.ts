import { randomFillSync } from 'node:crypto';

/**
 * Response bodies in Azure OpenAI's shapes: the content-filter annotations Azure adds, the
 * full usage object, and the model's version name in `model`.
 */

const modelVersions: Record<string, string> = {
  'gpt-4o': 'gpt-4o-2024-11-20',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4.1': 'gpt-4.1-2025-04-14',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-nano': 'gpt-4.1-nano-2025-04-14',
  'gpt-4': 'gpt-4-0613',
  'gpt-4-turbo': 'gpt-4-turbo-2024-04-09',
  'gpt-35-turbo': 'gpt-35-turbo-0125',
  'gpt-35-turbo-instruct': 'gpt-35-turbo-instruct-0914',
};

export function responseModelName(model: string): string {
  return modelVersions[model] ?? model;
}

const safe = { filtered: false, severity: 'safe' } as const;
export const contentFilterResults = { hate: safe, self_harm: safe, sexual: safe, violence: safe } as const;
export const promptFilterResults = [
  { prompt_index: 0, content_filter_results: { ...contentFilterResults, jailbreak: { filtered: false, detected: false } } },
] as const;

/**
 * Random id characters, drawn from a pool refilled in one call and encoded in one go: a
 * randomBytes call per answer cost more than the rest of building its body, and encoding 22
 * bytes per answer still showed (Node pools randomUUID's entropy the same way). Each
 * character carries six random bits, as before.
 */
const ID_CHARACTERS = 29;
const IDS_PER_POOL = 256;
const idEntropy = Buffer.alloc((ID_CHARACTERS * IDS_PER_POOL * 3) / 4 + 3);
let idPool = '';
let idPoolOffset = 0;

export function completionId(prefix: 'chatcmpl' | 'cmpl'): string {
  if (idPoolOffset + ID_CHARACTERS > idPool.length) {
    randomFillSync(idEntropy);
    idPool = idEntropy.toString('base64url');
    idPoolOffset = 0;
  }
  const characters = idPool.slice(idPoolOffset, idPoolOffset + ID_CHARACTERS);
  idPoolOffset += ID_CHARACTERS;
  // 29 url-safe characters, like the ids Azure returns.
  return `${prefix}-${characters}`;
}

export const systemFingerprint = 'fp_fleet0001';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { audio_tokens: number; cached_tokens: number };
  completion_tokens_details: { accepted_prediction_tokens: number; audio_tokens: number; reasoning_tokens: number; rejected_prediction_tokens: number };
}

export function usage(promptTokens: number, completionTokens: number, cachedTokens = 0): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { audio_tokens: 0, cached_tokens: cachedTokens },
    completion_tokens_details: { accepted_prediction_tokens: 0, audio_tokens: 0, reasoning_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export interface AnswerMeta {
  id: string;
  created: number;
  model: string;
}

export function chatCompletionBody(meta: AnswerMeta, content: string, finishReason: string, use: Usage): object {
  return {
    choices: [
      {
        content_filter_results: contentFilterResults,
        finish_reason: finishReason,
        index: 0,
        logprobs: null,
        message: { annotations: [], content, refusal: null, role: 'assistant' },
      },
    ],
    created: meta.created,
    id: meta.id,
    model: responseModelName(meta.model),
    object: 'chat.completion',
    prompt_filter_results: promptFilterResults,
    system_fingerprint: systemFingerprint,
    usage: use,
  };
}

export function textCompletionBody(meta: AnswerMeta, text: string, finishReason: string, use: Usage): object {
  return {
    choices: [{ content_filter_results: contentFilterResults, finish_reason: finishReason, index: 0, logprobs: null, text }],
    created: meta.created,
    id: meta.id,
    model: responseModelName(meta.model),
    object: 'text_completion',
    prompt_filter_results: promptFilterResults,
    usage: { prompt_tokens: use.prompt_tokens, completion_tokens: use.completion_tokens, total_tokens: use.total_tokens },
  };
}

export function embeddingsBody(model: string, embeddings: readonly (number[] | string)[], promptTokens: number): object {
  return {
    object: 'list',
    data: embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
