/**
 * Exact token accounting with the model's own tokenizer, so that the mock's `usage`
 * figures (and the token-based limits built on them) match what Azure OpenAI reports.
 */
import { countTokens as countO200kTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as countCl100kTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { TokenCountCache } from './token-count-cache.ts';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/**
 * Model-name prefixes that use o200k_base: the gpt-4o family (including -mini, -realtime,
 * -audio and chatgpt-4o), gpt-4.1*, gpt-4.5*, gpt-5* and the o-series reasoning models.
 */
const O200K_MODEL_PREFIXES: readonly string[] = ['gpt-4o', 'chatgpt-4o', 'gpt-4.1', 'gpt-4.5', 'gpt-5'];
/** o1, o1-mini, o3-pro, o4-mini…: the letter o, one digit, then the end or a dash. */
const O_SERIES_MODEL = /^o\d(?:-|$)/;

/**
 * The tokenizer a model uses.
 *
 * o200k_base: gpt-4o*, chatgpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1*, o3*, o4*.
 * cl100k_base: gpt-4 / gpt-4-32k / gpt-4-turbo, gpt-35-turbo (Azure's spelling) and
 * gpt-3.5-turbo including -instruct, text-embedding-ada-002, text-embedding-3-small/large,
 * davinci-002 and babbage-002.
 *
 * An unknown model also gets cl100k_base. That is tiktoken's customary fallback, which the
 * Microsoft aoai-api-simulator uses too, so counts stay comparable with that tool; and for
 * English text the two encodings differ by only a few percent, so a wrong guess costs
 * little.
 */
export function encodingForModel(model: string): EncodingName {
  const name = model.trim().toLowerCase();
  if (O_SERIES_MODEL.test(name)) return 'o200k_base';
  for (const prefix of O200K_MODEL_PREFIXES) {
    if (name.startsWith(prefix)) return 'o200k_base';
  }
  return 'cl100k_base';
}

/**
 * Text such as "<|endoftext|>" inside a prompt is ordinary text to the service, never a
 * control token; gpt-tokenizer would throw on it by default, so special-token checking
 * is switched off. One shared options object avoids rebuilding it per call.
 */
const ORDINARY_TEXT = { disallowedSpecial: new Set<string>() };

const COUNTERS: Readonly<Record<EncodingName, (text: string) => number>> = {
  o200k_base: (text) => countO200kTokens(text, ORDINARY_TEXT),
  cl100k_base: (text) => countCl100kTokens(text, ORDINARY_TEXT),
};

/**
 * A load test sends the same system prompts, tool definitions and role names over and
 * over, so whole-string counts are remembered (see token-count-cache.ts).
 */
const CACHE_CHARACTER_BUDGET = 4_000_000;
const LONGEST_CACHED_TEXT = 64_000;

const CACHES: Readonly<Record<EncodingName, TokenCountCache>> = {
  o200k_base: new TokenCountCache(CACHE_CHARACTER_BUDGET, LONGEST_CACHED_TEXT),
  cl100k_base: new TokenCountCache(CACHE_CHARACTER_BUDGET, LONGEST_CACHED_TEXT),
};

function countWithEncoding(text: string, encoding: EncodingName): number {
  if (text.length === 0) return 0;
  const cache = CACHES[encoding];
  const cached = cache.lookup(text);
  if (cached !== undefined) return cached;
  const count = COUNTERS[encoding](text);
  cache.remember(text, count);
  return count;
}

/** Tokens in a piece of text, as the model's tokenizer splits it. */
export function countTextTokens(text: string, model: string): number {
  return countWithEncoding(text, encodingForModel(model));
}

/** Tokens in a piece of text under a given encoding, for callers that work per encoding. */
export function countTextTokensInEncoding(text: string, encoding: EncodingName): number {
  return countWithEncoding(text, encoding);
}

export interface ChatMessageInput {
  role: string;
  content?: string | null | Array<{ type: string; text?: string; image_url?: unknown }>;
  name?: string;
  tool_calls?: unknown;
  tool_call_id?: string;
}

/**
 * The OpenAI cookbook's chat formula ("How to count tokens with tiktoken", section 6),
 * which the cookbook checks against the API's own `prompt_tokens`: every message is
 * wrapped as <|start|>{role/name}\n{content}<|end|>\n, costing 3 tokens beyond its
 * values; a name costs 1 more; and the reply is primed with <|start|>assistant<|message|>,
 * 3 tokens.
 */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;

/**
 * What one image part costs. The real cost depends on the image size and `detail`
 * (85 base tokens plus 170 per 512-px tile for gpt-4o at high detail); the mock never
 * fetches or decodes images, so every image is charged the fixed low-detail cost of 85.
 */
export const IMAGE_PART_TOKENS = 85;

/**
 * Structured values (tool_calls, tool definitions, non-text content parts) are counted
 * as the tokens of their JSON text. This is an approximation: the service renders tools
 * into its own hidden prompt syntax, which the cookbook fits with per-function and
 * per-property constants. JSON text needs no knowledge of the schema's shape but runs
 * high: on the cookbook's one-function weather example it counts 86 tokens (gpt-4o) where
 * the API charged 68, and 85 (gpt-4) where it charged 71.
 */
function countJsonTokens(value: unknown, encoding: EncodingName): number {
  const json = JSON.stringify(value);
  return json === undefined ? 0 : countWithEncoding(json, encoding);
}

type ContentPart = Exclude<ChatMessageInput['content'], string | null | undefined>[number];

function countContentPartsTokens(parts: readonly ContentPart[], encoding: EncodingName): number {
  let total = 0;
  for (const part of parts) {
    if (part.type === 'text' && typeof part.text === 'string') total += countWithEncoding(part.text, encoding);
    else if (part.type === 'image_url') total += IMAGE_PART_TOKENS;
    else total += countJsonTokens(part, encoding);
  }
  return total;
}

/**
 * Prompt tokens of a chat completion request. Like the cookbook, every value present on
 * a message is counted (role included), not only the known fields, so that fields added
 * by newer API versions still cost something.
 */
export function countChatPromptTokens(
  messages: readonly ChatMessageInput[],
  model: string,
  extras?: { tools?: unknown; functions?: unknown },
): number {
  const encoding = encodingForModel(model);
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE;
    for (const [key, value] of Object.entries(message) as Array<[string, unknown]>) {
      if (value === undefined || value === null) continue;
      if (typeof value === 'string') total += countWithEncoding(value, encoding);
      else if (key === 'content' && Array.isArray(value)) total += countContentPartsTokens(value as ContentPart[], encoding);
      else total += countJsonTokens(value, encoding);
      if (key === 'name') total += TOKENS_PER_NAME;
    }
  }
  if (extras?.tools !== undefined && extras.tools !== null) total += countJsonTokens(extras.tools, encoding);
  if (extras?.functions !== undefined && extras.functions !== null) total += countJsonTokens(extras.functions, encoding);
  return total;
}

/**
 * Prompt tokens of an embeddings request. The input may be text, a list of texts, one
 * pre-tokenized input (token ids) or a list of them; token ids count one each.
 */
export function countEmbeddingInputTokens(input: string | string[] | number[] | number[][], model: string): number {
  const encoding = encodingForModel(model);
  if (typeof input === 'string') return countWithEncoding(input, encoding);
  let total = 0;
  for (const item of input) {
    if (typeof item === 'string') total += countWithEncoding(item, encoding);
    else if (typeof item === 'number') total += 1;
    else total += item.length;
  }
  return total;
}

/**
 * Characters of every string in a prompt value (for chat, message roles and names too), the
 * input of estimatePromptTokensByCharacters. Which characters Azure's estimate counts is not
 * published: counting every string is our choice.
 */
export function promptCharacterCount(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + promptCharacterCount(item), 0);
  if (value && typeof value === 'object') return Object.values(value).reduce((sum: number, item) => sum + promptCharacterCount(item), 0);
  return 0;
}

/**
 * Azure's rate limiter admits a request on an *estimate* of its prompt tokens that the
 * quota documentation says is "based in part on the character count", not on the
 * tokenizer. The exact rule is unpublished; ceil(characters / 4) follows OpenAI's rule of
 * thumb of about four characters per English token and is what the aoai-api-simulator
 * charges per embedding input.
 */
export function estimatePromptTokensByCharacters(charCount: number): number {
  if (!Number.isFinite(charCount) || charCount < 0) {
    throw new RangeError(`character count must be a finite non-negative number, got ${charCount}`);
  }
  return Math.ceil(charCount / 4);
}
