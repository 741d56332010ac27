/**
 * Token counts from an answer's body. k6 has no SSE client: a streaming request is read as one
 * text response, so its `data:` frames are parsed after the stream ended. The usage frame
 * (sent when the request set stream_options.include_usage) carries the counts.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

const none: Usage = { promptTokens: 0, completionTokens: 0 };

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

function fromUsageObject(usage: unknown): Usage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  // Embeddings report prompt_tokens and total_tokens only: completion is 0.
  return { promptTokens: count(u.prompt_tokens), completionTokens: count(u.completion_tokens) };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Usage of a JSON answer (chat completion, embeddings); zeros when absent or unreadable. */
export function usageFromJson(body: string): Usage {
  return fromUsageObject(parseObject(body)?.usage) ?? none;
}

/**
 * Usage of a server-sent-events answer: the last `data:` frame whose `usage` is an object
 * (earlier chunks carry `usage: null`). Zeros when the stream has no usage frame, e.g. it was
 * cut short.
 */
export function usageFromSse(body: string): Usage {
  let found: Usage | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const payload = line.slice(5).trim();
    if (payload === '' || payload === '[DONE]') continue;
    found = fromUsageObject(parseObject(payload)?.usage) ?? found;
  }
  return found ?? none;
}

/** Usage of a successful answer, whichever way it came back. */
export function usageOf(body: string, stream: boolean): Usage {
  // A stream refused before it started comes back as JSON, so look at the body, not the request.
  return stream && !body.trimStart().startsWith('{') ? usageFromSse(body) : usageFromJson(body);
}
