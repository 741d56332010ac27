import { contentFilterResults, promptFilterResults, responseModelName, systemFingerprint, type AnswerMeta, type Usage } from './response-bodies.ts';

/**
 * The frames of an Azure OpenAI stream, in order:
 * 1. a prompt_filter_results frame with empty choices, id, model and object;
 * 2. the role frame (delta with role and empty content);
 * 3. one frame per token, each with content_filter_results;
 * 4. the finish frame (empty delta, finish_reason);
 * 5. with stream_options.include_usage, a usage frame with empty choices;
 * 6. `data: [DONE]`.
 * Each frame is `data: <json>` followed by a blank line.
 */
export function sseFrame(payload: object | '[DONE]'): string {
  return `data: ${payload === '[DONE]' ? '[DONE]' : JSON.stringify(payload)}\n\n`;
}

export function promptFilterFrame(): object {
  return { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptFilterResults };
}

interface ChunkOptions {
  meta: AnswerMeta;
  /** With include_usage, every chunk carries `usage: null` until the usage chunk. */
  includeUsage: boolean;
}

function chatChunk(options: ChunkOptions, choice: object): object {
  return {
    choices: [choice],
    created: options.meta.created,
    id: options.meta.id,
    model: responseModelName(options.meta.model),
    object: 'chat.completion.chunk',
    system_fingerprint: systemFingerprint,
    ...(options.includeUsage ? { usage: null } : {}),
  };
}

export function chatRoleFrame(options: ChunkOptions): object {
  return chatChunk(options, { content_filter_results: {}, delta: { content: '', refusal: null, role: 'assistant' }, finish_reason: null, index: 0, logprobs: null });
}

export function chatTokenFrame(options: ChunkOptions, token: string): object {
  return chatChunk(options, { content_filter_results: contentFilterResults, delta: { content: token }, finish_reason: null, index: 0, logprobs: null });
}

export function chatFinishFrame(options: ChunkOptions, finishReason: string): object {
  return chatChunk(options, { content_filter_results: {}, delta: {}, finish_reason: finishReason, index: 0, logprobs: null });
}

export function chatUsageFrame(options: ChunkOptions, use: Usage): object {
  return {
    choices: [],
    created: options.meta.created,
    id: options.meta.id,
    model: responseModelName(options.meta.model),
    object: 'chat.completion.chunk',
    system_fingerprint: systemFingerprint,
    usage: use,
  };
}

function textChunk(options: ChunkOptions, choice: object): object {
  return {
    choices: [choice],
    created: options.meta.created,
    id: options.meta.id,
    model: responseModelName(options.meta.model),
    object: 'text_completion',
    ...(options.includeUsage ? { usage: null } : {}),
  };
}

export function textTokenFrame(options: ChunkOptions, token: string): object {
  return textChunk(options, { content_filter_results: contentFilterResults, finish_reason: null, index: 0, logprobs: null, text: token });
}

export function textFinishFrame(options: ChunkOptions, finishReason: string): object {
  return textChunk(options, { content_filter_results: {}, finish_reason: finishReason, index: 0, logprobs: null, text: '' });
}

export function textUsageFrame(options: ChunkOptions, use: Usage): object {
  return {
    choices: [],
    created: options.meta.created,
    id: options.meta.id,
    model: responseModelName(options.meta.model),
    object: 'text_completion',
    usage: { prompt_tokens: use.prompt_tokens, completion_tokens: use.completion_tokens, total_tokens: use.total_tokens },
  };
}
