import { contentFilterResults, promptFilterResults, responseModelName, systemFingerprint, type AnswerMeta, type Usage } from './response-bodies.ts';

/**
 * The completion bodies of response-bodies.ts written straight to JSON text: the exact string
 * `JSON.stringify(chatCompletionBody(...))` gives (response-json.test.ts holds them to that),
 * without building the object tree and walking it again. At zero modelled latency the answer
 * is built for every request, and its constant parts (the content-filter annotations, the
 * usage details) were most of what JSON.stringify did; here they are serialised once, at load.
 */

/** A number as JSON.stringify writes it: String(n) for finite numbers, null otherwise. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

const contentFilterJson = JSON.stringify(contentFilterResults);
const promptFilterJson = JSON.stringify(promptFilterResults);
const systemFingerprintJson = JSON.stringify(systemFingerprint);

/** JSON.stringify(use), keys in the order usage() builds them. */
export function usageJson(use: Usage): string {
  const p = use.prompt_tokens_details;
  const c = use.completion_tokens_details;
  return (
    `{"prompt_tokens":${jsonNumber(use.prompt_tokens)},"completion_tokens":${jsonNumber(use.completion_tokens)},"total_tokens":${jsonNumber(use.total_tokens)},` +
    `"prompt_tokens_details":{"audio_tokens":${jsonNumber(p.audio_tokens)},"cached_tokens":${jsonNumber(p.cached_tokens)}},` +
    `"completion_tokens_details":{"accepted_prediction_tokens":${jsonNumber(c.accepted_prediction_tokens)},"audio_tokens":${jsonNumber(c.audio_tokens)},` +
    `"reasoning_tokens":${jsonNumber(c.reasoning_tokens)},"rejected_prediction_tokens":${jsonNumber(c.rejected_prediction_tokens)}}}`
  );
}

/** JSON.stringify(chatCompletionBody(meta, content, finishReason, use)). */
export function chatCompletionJson(meta: AnswerMeta, content: string, finishReason: string, use: Usage): string {
  return (
    `{"choices":[{"content_filter_results":${contentFilterJson},"finish_reason":${JSON.stringify(finishReason)},"index":0,"logprobs":null,` +
    `"message":{"annotations":[],"content":${JSON.stringify(content)},"refusal":null,"role":"assistant"}}],` +
    `"created":${jsonNumber(meta.created)},"id":${JSON.stringify(meta.id)},"model":${JSON.stringify(responseModelName(meta.model))},"object":"chat.completion",` +
    `"prompt_filter_results":${promptFilterJson},"system_fingerprint":${systemFingerprintJson},"usage":${usageJson(use)}}`
  );
}

/** JSON.stringify(textCompletionBody(meta, text, finishReason, use)). */
export function textCompletionJson(meta: AnswerMeta, text: string, finishReason: string, use: Usage): string {
  return (
    `{"choices":[{"content_filter_results":${contentFilterJson},"finish_reason":${JSON.stringify(finishReason)},"index":0,"logprobs":null,"text":${JSON.stringify(text)}}],` +
    `"created":${jsonNumber(meta.created)},"id":${JSON.stringify(meta.id)},"model":${JSON.stringify(responseModelName(meta.model))},"object":"text_completion",` +
    `"prompt_filter_results":${promptFilterJson},` +
    `"usage":{"prompt_tokens":${jsonNumber(use.prompt_tokens)},"completion_tokens":${jsonNumber(use.completion_tokens)},"total_tokens":${jsonNumber(use.total_tokens)}}}`
  );
}
