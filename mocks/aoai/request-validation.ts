import { azureErrors, type AzureError } from './azure-errors.ts';
import type { ChatMessageInput } from './tokens.ts';

/**
 * Validates request bodies the way the service does, before any capacity is charged: a
 * malformed request is a 400 and costs nothing. Messages follow the service's validator
 * wording ("'messages' is a required property").
 */
export type Validated<T> = { ok: true; value: T } | { ok: false; error: AzureError };

export interface ChatRequest {
  messages: ChatMessageInput[];
  maxTokens: number | undefined;
  stream: boolean;
  includeUsage: boolean;
  tools: unknown;
  functions: unknown;
}

export interface CompletionRequest {
  prompts: string[];
  maxTokens: number;
  stream: boolean;
  includeUsage: boolean;
}

export interface EmbeddingRequest {
  inputs: (string | number[])[];
  encodingFormat: 'float' | 'base64';
  dimensions: number | undefined;
}

const roles = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export function parseJsonBody(text: string): Validated<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, error: azureErrors.malformedJson() };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: azureErrors.invalidField(`${JSON.stringify(body)} is not of type 'object'`, 'body') };
  }
  return { ok: true, value: body as Record<string, unknown> };
}

function required(name: string): AzureError {
  return azureErrors.invalidField(`'${name}' is a required property`, name);
}

function notOfType(value: unknown, type: string, path: string): AzureError {
  const shown = JSON.stringify(value) ?? String(value);
  return azureErrors.invalidField(`${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown} is not of type '${type}' - '${path}'`, path.split('.')[0] ?? path);
}

function optionalPositiveInt(body: Record<string, unknown>, name: string): Validated<number | undefined> {
  const value = body[name];
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value !== 'number' || !Number.isInteger(value)) return { ok: false, error: notOfType(value, 'integer', name) };
  if (value < 1) return { ok: false, error: azureErrors.invalidField(`${value} is less than the minimum of 1 - '${name}'`, name) };
  return { ok: true, value };
}

function streamFlags(body: Record<string, unknown>): Validated<{ stream: boolean; includeUsage: boolean }> {
  const stream = body.stream ?? false;
  if (typeof stream !== 'boolean') return { ok: false, error: notOfType(stream, 'boolean', 'stream') };
  const options = body.stream_options;
  if (options === undefined || options === null) return { ok: true, value: { stream, includeUsage: false } };
  if (!stream) return { ok: false, error: azureErrors.invalidField("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options') };
  if (typeof options !== 'object' || Array.isArray(options)) return { ok: false, error: notOfType(options, 'object', 'stream_options') };
  const includeUsage = (options as Record<string, unknown>).include_usage ?? false;
  if (typeof includeUsage !== 'boolean') return { ok: false, error: notOfType(includeUsage, 'boolean', 'stream_options.include_usage') };
  return { ok: true, value: { stream, includeUsage } };
}

function onlyOneChoice(body: Record<string, unknown>): AzureError | undefined {
  const n = body.n;
  if (n === undefined || n === null || n === 1) return undefined;
  return azureErrors.invalidField('The mock fleet answers with one choice: n must be 1.', 'n');
}

/** Each content part is an object with a string `type` ("text", "image_url", …). */
function contentPartsError(parts: readonly unknown[], index: number): AzureError | undefined {
  for (const [p, part] of parts.entries()) {
    const path = `messages.${index}.content.${p}`;
    if (typeof part !== 'object' || part === null || Array.isArray(part)) return notOfType(part, 'object', path);
    const type = (part as Record<string, unknown>).type;
    if (type === undefined) return azureErrors.invalidField(`'type' is a required property - '${path}'`, 'messages');
    if (typeof type !== 'string') return notOfType(type, 'string', `${path}.type`);
  }
  return undefined;
}

export function validateChatRequest(body: Record<string, unknown>): Validated<ChatRequest> {
  const messages = body.messages;
  if (messages === undefined) return { ok: false, error: required('messages') };
  if (!Array.isArray(messages)) return { ok: false, error: notOfType(messages, 'array', 'messages') };
  if (messages.length === 0) return { ok: false, error: azureErrors.invalidField("[] is too short - 'messages'", 'messages') };
  for (const [index, message] of messages.entries()) {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return { ok: false, error: notOfType(message, 'object', `messages.${index}`) };
    const { role, content } = message as Record<string, unknown>;
    if (role === undefined) return { ok: false, error: azureErrors.invalidField(`'role' is a required property - 'messages.${index}'`, 'messages') };
    if (typeof role !== 'string' || !roles.has(role)) return { ok: false, error: azureErrors.invalidField(`${JSON.stringify(role)} is not one of ${JSON.stringify([...roles])} - 'messages.${index}.role'`, 'messages') };
    const contentOk = content === undefined ? role === 'assistant' : content === null ? role === 'assistant' : typeof content === 'string' || Array.isArray(content);
    if (!contentOk) {
      return { ok: false, error: content === undefined ? azureErrors.invalidField(`'content' is a required property - 'messages.${index}'`, 'messages') : notOfType(content, 'string', `messages.${index}.content`) };
    }
    if (Array.isArray(content)) {
      const partError = contentPartsError(content, index);
      if (partError) return { ok: false, error: partError };
    }
  }
  const maxTokens = optionalPositiveInt(body, 'max_tokens');
  if (!maxTokens.ok) return maxTokens;
  const maxCompletionTokens = optionalPositiveInt(body, 'max_completion_tokens');
  if (!maxCompletionTokens.ok) return maxCompletionTokens;
  if (maxTokens.value !== undefined && maxCompletionTokens.value !== undefined) {
    return { ok: false, error: azureErrors.invalidField("max_tokens and max_completion_tokens cannot both be set; use 'max_completion_tokens'.", 'max_tokens') };
  }
  const flags = streamFlags(body);
  if (!flags.ok) return flags;
  const n = onlyOneChoice(body);
  if (n) return { ok: false, error: n };
  return {
    ok: true,
    value: {
      messages: messages as ChatMessageInput[],
      maxTokens: maxTokens.value ?? maxCompletionTokens.value,
      stream: flags.value.stream,
      includeUsage: flags.value.includeUsage,
      tools: body.tools,
      functions: body.functions,
    },
  };
}

export function validateCompletionRequest(body: Record<string, unknown>): Validated<CompletionRequest> {
  const prompt = body.prompt;
  if (prompt === undefined) return { ok: false, error: required('prompt') };
  const prompts = typeof prompt === 'string' ? [prompt] : Array.isArray(prompt) && prompt.every((p) => typeof p === 'string') ? (prompt as string[]) : null;
  if (!prompts) return { ok: false, error: notOfType(prompt, 'string', 'prompt') };
  if (prompts.length !== 1) return { ok: false, error: azureErrors.invalidField('The mock fleet answers one prompt per request.', 'prompt') };
  const maxTokens = optionalPositiveInt(body, 'max_tokens');
  if (!maxTokens.ok) return maxTokens;
  const flags = streamFlags(body);
  if (!flags.ok) return flags;
  const n = onlyOneChoice(body);
  if (n) return { ok: false, error: n };
  // The legacy completions API defaults max_tokens to 16.
  return { ok: true, value: { prompts, maxTokens: maxTokens.value ?? 16, stream: flags.value.stream, includeUsage: flags.value.includeUsage } };
}

export function validateEmbeddingRequest(body: Record<string, unknown>): Validated<EmbeddingRequest> {
  const input = body.input;
  if (input === undefined) return { ok: false, error: required('input') };
  let inputs: (string | number[])[] | null = null;
  if (typeof input === 'string') inputs = [input];
  else if (Array.isArray(input) && input.length > 0) {
    if (input.every((item) => typeof item === 'string')) inputs = input as string[];
    else if (input.every((item) => typeof item === 'number' && Number.isInteger(item))) inputs = [input as number[]];
    else if (input.every((item) => Array.isArray(item) && item.every((t) => typeof t === 'number' && Number.isInteger(t)))) inputs = input as number[][];
  }
  if (!inputs) return { ok: false, error: azureErrors.invalidField("'input' must be a non-empty string, array of strings, array of token ids, or array of token-id arrays", 'input') };
  if (inputs.length > 2048) return { ok: false, error: azureErrors.invalidField('Too many inputs. The max number of inputs is 2048.', 'input') };
  if (inputs.some((item) => item.length === 0)) return { ok: false, error: azureErrors.invalidField("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input') };
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') return { ok: false, error: azureErrors.invalidField(`${JSON.stringify(format)} is not one of ['float', 'base64'] - 'encoding_format'`, 'encoding_format') };
  const dimensions = optionalPositiveInt(body, 'dimensions');
  if (!dimensions.ok) return dimensions;
  return { ok: true, value: { inputs, encodingFormat: format, dimensions: dimensions.value } };
}
