/**
 * Which API and operation an incoming request belongs to.
 *
 * - An API matches when its path (URL suffix) is the request path or a prefix of it at a "/"
 *   boundary; the longest matching path wins, so "openai" and "openai/v2" can coexist.
 * - An operation matches on method and URL template. `{name}` matches one non-empty path
 *   segment (or part of one, as in "{id}.json"); a trailing "/*" or "{*name}" matches the rest.
 *   When several templates match, the one with more literal segments wins, then the earlier one.
 *
 * Choices where the docs are silent: literal parts compare case-insensitively (APIM's paths are
 * not case-sensitive in practice); a trailing slash is ignored; template values are
 * percent-decoded; query strings play no part in matching (required query parameters are
 * recorded on the operation but not enforced, since APIM only checks them with
 * validate-parameters).
 */
import type { ApiConfig, OperationConfig } from './types.ts';

export interface OperationMatch {
  operation: OperationConfig;
  /** Template parameter values, percent-decoded. */
  parameters: Record<string, string>;
}

export interface ApiMatch {
  api: ApiConfig;
  /** The rest of the path after the API's path, starting with "/" (query string kept). */
  pathAfterApiPath: string;
}

interface CompiledSegment {
  kind: 'literal' | 'pattern';
  literal: string;
  pattern?: RegExp;
  names: string[];
}

interface CompiledTemplate {
  segments: CompiledSegment[];
  /** Name of the rest-of-path parameter, "" for an anonymous "/*", undefined for none. */
  rest?: string;
  score: number;
}

const compiled = new WeakMap<OperationConfig, CompiledTemplate>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function splitPath(path: string): string[] {
  const parts = path.split('/');
  if (parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function stripQuery(path: string): string {
  const at = path.search(/[?#]/);
  return at < 0 ? path : path.slice(0, at);
}

function compileTemplate(template: string): CompiledTemplate {
  const parts = splitPath(stripQuery(template));
  let rest: string | undefined;
  const last = parts[parts.length - 1];
  if (last === '*' || (last !== undefined && /^\{\*[^{}]+\}$/.test(last))) {
    rest = last === '*' ? '' : last.slice(2, -1);
    parts.pop();
  }
  let score = 0;
  const segments = parts.map((part): CompiledSegment => {
    if (!part.includes('{')) {
      score += 2;
      return { kind: 'literal', literal: part.toLowerCase(), names: [] };
    }
    const names: string[] = [];
    let source = '';
    let lastIndex = 0;
    let hasLiteral = false;
    for (const match of part.matchAll(/\{([^{}]+)\}/g)) {
      const literal = part.slice(lastIndex, match.index);
      if (literal !== '') hasLiteral = true;
      source += escapeRegExp(literal) + '(.+?)';
      names.push(match[1] as string);
      lastIndex = (match.index ?? 0) + match[0].length;
    }
    const tail = part.slice(lastIndex);
    if (tail !== '') hasLiteral = true;
    source += escapeRegExp(tail);
    if (hasLiteral) score += 1;
    return { kind: 'pattern', literal: '', pattern: new RegExp(`^${source}$`, 'i'), names };
  });
  return rest === undefined ? { segments, score } : { segments, rest, score };
}

function templateOf(operation: OperationConfig): CompiledTemplate {
  let template = compiled.get(operation);
  if (!template) {
    template = compileTemplate(operation.urlTemplate);
    compiled.set(operation, template);
  }
  return template;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * `parts` are the request's path segments as sent, `literals` the same decoded and lower-cased
 * (what literal template segments compare with), worked out once per request for all templates.
 */
function matchTemplate(template: CompiledTemplate, parts: readonly string[], literals: readonly string[]): Record<string, string> | undefined {
  if (template.rest === undefined ? parts.length !== template.segments.length : parts.length < template.segments.length) return undefined;
  const parameters: Record<string, string> = {};
  for (let i = 0; i < template.segments.length; i++) {
    const segment = template.segments[i] as CompiledSegment;
    const part = parts[i] as string;
    if (segment.kind === 'literal') {
      if (literals[i] !== segment.literal) return undefined;
      continue;
    }
    const match = segment.pattern?.exec(part);
    if (!match) return undefined;
    segment.names.forEach((name, n) => {
      parameters[name] = decode(match[n + 1] as string);
    });
  }
  if (template.rest) parameters[template.rest] = decode(parts.slice(template.segments.length).join('/'));
  return parameters;
}

/**
 * The operation of `api` that `method` and `pathAfterApiPath` (the request path after the API's
 * path, e.g. "/deployments/gpt-4o/chat/completions") select, with its template parameters.
 */
export function matchOperation(api: Pick<ApiConfig, 'operations'>, method: string, pathAfterApiPath: string): OperationMatch | undefined {
  const parts = splitPath(stripQuery(pathAfterApiPath));
  const literals = parts.map((part) => decode(part).toLowerCase());
  const wanted = method.toUpperCase();
  let best: { match: OperationMatch; score: number; rest: boolean } | undefined;
  for (const operation of api.operations) {
    if (operation.method !== wanted) continue;
    const template = templateOf(operation);
    const parameters = matchTemplate(template, parts, literals);
    if (!parameters) continue;
    const rest = template.rest !== undefined;
    // Strictly better only, so the earlier of two equal templates keeps the match.
    if (!best || template.score > best.score || (template.score === best.score && best.rest && !rest)) {
      best = { match: { operation, parameters }, score: template.score, rest };
    }
  }
  return best?.match;
}

/** The API whose path is the longest prefix of `requestPath` at a segment boundary. */
export function matchApi(apis: readonly ApiConfig[], requestPath: string): ApiMatch | undefined {
  const withoutLeading = requestPath.replace(/^\/+/, '');
  const pathOnly = stripQuery(withoutLeading).toLowerCase();
  let best: ApiConfig | undefined;
  for (const api of apis) {
    const prefix = api.path.toLowerCase();
    const matches = prefix === '' || pathOnly === prefix || pathOnly.startsWith(`${prefix}/`);
    if (matches && (!best || api.path.length > best.path.length)) best = api;
  }
  if (!best) return undefined;
  const rest = withoutLeading.slice(best.path.length);
  return { api: best, pathAfterApiPath: rest.startsWith('/') ? rest : `/${rest}` };
}
