import type { AzureError } from './azure-errors.ts';
import { parseJsonBody, validateChatRequest, validateCompletionRequest } from './request-validation.ts';
import { countChatPromptTokens, countTextTokens, promptCharacterCount } from './tokens.ts';

/**
 * What the fleet needs from a chat or completions request body: the validated request reduced
 * to the few values the answer depends on, and its prompt measured in tokens (the model's
 * tokenizer) and characters (the PAYG estimate). All of it is a function of the body text and
 * the model alone.
 */
export interface CompletionRequestFacts {
  readonly maxTokens: number | undefined;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly promptTokens: number;
  readonly promptCharacters: number;
}

/**
 * A body that is not JSON (`stage: 'json'`) is rejected before the operation is checked, one
 * that is JSON but not a valid request (`stage: 'request'`) after: the service's own order.
 */
export type CompletionBodyAnalysis = { ok: true; facts: CompletionRequestFacts } | { ok: false; stage: 'json' | 'request'; error: AzureError };

function analyze(text: string, operation: 'chat' | 'completions', model: string): CompletionBodyAnalysis {
  const body = parseJsonBody(text);
  if (!body.ok) return { ok: false, stage: 'json', error: body.error };
  if (operation === 'chat') {
    const parsed = validateChatRequest(body.value);
    if (!parsed.ok) return { ok: false, stage: 'request', error: parsed.error };
    const { messages, tools, functions, maxTokens, stream, includeUsage } = parsed.value;
    return {
      ok: true,
      facts: Object.freeze({
        maxTokens,
        stream,
        includeUsage,
        promptTokens: countChatPromptTokens(messages, model, { tools, functions }),
        promptCharacters: promptCharacterCount(messages),
      }),
    };
  }
  const parsed = validateCompletionRequest(body.value);
  if (!parsed.ok) return { ok: false, stage: 'request', error: parsed.error };
  const { prompts, maxTokens, stream, includeUsage } = parsed.value;
  return {
    ok: true,
    facts: Object.freeze({ maxTokens, stream, includeUsage, promptTokens: countTextTokens(prompts[0] ?? '', model), promptCharacters: promptCharacterCount(body.value.prompt) }),
  };
}

/**
 * Bodies remembered per model (it picks the tokenizer) and operation. A load test sends the
 * same few bodies over and over, and at zero modelled latency parsing, validating and counting one was the largest
 * share of the fleet's own work per request (about a quarter of it, measured with
 * `--cpu-prof`). Only valid bodies are kept, as frozen facts with nothing mutable in them.
 * Bounded: at most MEMO_ENTRIES bodies of at most LONGEST_MEMO_BODY characters each (about
 * 4 MB at worst per model and operation), starting afresh when full, so that traffic of
 * unique bodies cannot grow it.
 */
const MEMO_ENTRIES = 256;
const LONGEST_MEMO_BODY = 8192;
type Memo = Map<string, CompletionBodyAnalysis & { ok: true }>;
const memos = new Map<string, Record<'chat' | 'completions', Memo>>();

function memoFor(model: string, operation: 'chat' | 'completions'): Memo {
  let perOperation = memos.get(model);
  if (perOperation === undefined) {
    // Models come from the topology, a few names; the bound only keeps a long-lived process
    // that starts many fleets from collecting them.
    if (memos.size >= 64) memos.clear();
    perOperation = { chat: new Map(), completions: new Map() };
    memos.set(model, perOperation);
  }
  return perOperation[operation];
}

/** The facts of a chat or completions body for a model, or why the service rejects it. */
export function analyzeCompletionBody(text: string, operation: 'chat' | 'completions', model: string): CompletionBodyAnalysis {
  const memo = memoFor(model, operation);
  const known = memo.get(text);
  if (known !== undefined) return known;
  const analysis = analyze(text, operation, model);
  if (analysis.ok && text.length <= LONGEST_MEMO_BODY) {
    if (memo.size >= MEMO_ENTRIES) memo.clear();
    memo.set(text, Object.freeze(analysis));
  }
  return analysis;
}
